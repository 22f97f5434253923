"""What each audit action means, in words, for the coordinators' trail page (issue 13, item 9: labels, not codes).
The code stays beside the label (it is what the filter takes and what `audit_verify` and exports show); an action
without a label here shows its code alone."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "audit.view": _("Read the audit trail"),
    "auth.login": _("Signed in"),
    "auth.signin_logs.purge": _("Deleted old sign-in logs"),
    "case.open": _("Opened a case"),
    "case.read": _("Read a case"),
    "case.update": _("Corrected a case's details"),
    "case.assign": _("Changed who accompanies a case"),
    "case.list.read": _("Listed cases"),
    "case.follow_ups.read": _("Listed follow-ups"),
    "case.action.add": _("Added an action to a plan"),
    "case.action.done": _("Marked an action done"),
    "case.child.add": _("Added a child to a case"),
    "case.child.update": _("Recorded a child's follow-up"),
    "case.consent.give": _("Recorded a consent"),
    "case.consent.withdraw": _("Recorded a consent withdrawn"),
    "case.incident.add": _("Recorded an incident"),
    "case.risk.assess": _("Assessed risk"),
    "case.closure.request": _("Asked to close a case"),
    "case.closure.approve": _("Approved a case closure"),
    "case.reopen": _("Reopened a case"),
    "case.purge": _("Deleted a case past its retention"),
    "export.incident_recorder": _("Exported the Incident Recorder"),
    "focal_point.register": _("Registered a focal point"),
    "focal_point.change": _("Changed a focal point"),
    "focal_point.approve": _("Approved a focal point"),
    "focal_point.decline": _("Declined a focal point"),
    "invitation.create": _("Invited a member"),
    "invitation.accept": _("Accepted an invitation"),
    "invitation.revoke": _("Revoked an invitation"),
    "membership.create": _("Added a membership"),
    "membership.activate": _("Reactivated a membership"),
    "legal.matter.read": _("Read a legal matter"),
    "legal.matter.update": _("Updated a legal matter"),
    "legal.document.read": _("Opened a legal document"),
    "legal.upcoming.read": _("Listed upcoming legal dates"),
    "legal.reminders.send": _("Sent legal date reminders"),
    "monitoring.alert.raise": _("Raised a trafficking alert"),
    "monitoring.alerts.read": _("Read the trafficking alerts"),
    "referral.send": _("Sent a referral"),
    "referral.read": _("Read a referral"),
    "referral.transition": _("Changed a referral's status"),
    "referral.inbox.read": _("Listed the referral inbox"),
    "safechannel.setup": _("Set up the safe channel"),
    "safechannel.settings": _("Changed the safe channel's settings"),
    "safechannel.report.create": _("A report arrived through the safe channel"),
    "safechannel.report.read": _("Read a safe-channel report"),
    "safechannel.report.purge": _("Deleted a report past its retention"),
    "safechannel.attachment.read": _("Opened a report's file"),
    "safechannel.staff.reply": _("Answered a report"),
    "safechannel.survivor.message": _("The survivor wrote in the channel"),
    "safechannel.receipt.login": _("The survivor signed in with her receipt"),
    "safechannel.case_consent.give": _("The survivor agreed to a case"),
    "safechannel.case_consent.withdraw": _("The survivor withdrew her agreement to a case"),
    "safechannel.sharing_consent": _("The survivor changed what may be shared"),
    "safechannel.key.replace": _("Replaced a recipient's key"),
    "safechannel.restore_access": _("Restored a recipient's access with the recovery key"),
    "service.verify": _("Verified a service"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
