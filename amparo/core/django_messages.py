"""Django's own messages that Amparo's pages show (form and password errors, and the admin site that coordinators and
platform administrators use), listed so that `makemessages` keeps them in the project's catalogues, where
`amparo/locale/{es,pt}` translate them in Amparo's register: "tú" in Spanish and "você" in Portuguese (Brazil), as
the rest of the interface (issue 13, item 9). The project's catalogues come first (LOCALE_PATHS), so these
translations replace Django's "usted" and European Portuguese ones ("palavra-passe", "utilizador", "Gravar").

Nothing imports this module: it exists for the extraction. `today/tests/test_words.py` checks that every
message here is one Django really uses, so a Django upgrade that rewords one fails the suite instead of silently
bringing "usted" back.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext

MESSAGES = (
    gettext_noop("Enter a valid value."),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Enter a valid integer."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter only digits separated by commas."),
    gettext_noop("Ensure this value is %(limit_value)s (it is %(show_value)s)."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid time."),
    gettext_noop("Enter a valid date/time."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("No file was submitted. Check the encoding type on the form."),
    gettext_noop("Please either submit a file or check the clear checkbox, not both."),
    gettext_noop("Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("Enter a list of values."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("This field is required."),
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("This password is too common."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Password"),
    gettext_noop("New password"),
    gettext_noop("New password confirmation"),
    gettext_noop("Email"),
)

# The admin site as staff see it: the list of objects and its actions, the change form and its messages, deleting,
# the history, the header, and changing one's password (its sign-in and sign-out are the staff pages'). Messages that
# read the same in every register ("Filter", "Add %s") are left to Django.
ADMIN_MESSAGES = (
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
    gettext_noop("Select %s"),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Click here to select the objects across all pages"),
    gettext_noop("Clear selection"),
    gettext_noop("Run the selected action"),
    gettext_noop("Items must be selected in order to perform actions on them. No items have been changed."),
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    gettext_noop("Successfully deleted %(count)d %(items)s."),
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("You don’t have permission to view or edit anything."),
    gettext_noop("Hold down “Control”, or “Command” on a Mac, to select more than one."),
    gettext_noop("Start typing to filter…"),
    gettext_noop(
        'Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? All of the following related '
        "items will be deleted:"
    ),
    gettext_noop(
        "Are you sure you want to delete the selected %(objects_name)s? All of the following objects and their "
        "related items will be deleted:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would result in deleting related objects, but your "
        "account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would result in deleting related objects, but your account doesn't "
        "have permission to delete the following types of objects:"
    ),
    gettext_noop("Delete"),
    gettext_noop("Delete?"),
    gettext_noop("Yes, I’m sure"),
    gettext_noop("No, take me back"),
    gettext_noop("Objects"),
    gettext_noop("Summary"),
    gettext_noop("Welcome,"),
    gettext_noop("View site"),
    gettext_noop("My actions"),
    gettext_noop("History"),
    gettext_noop("User"),
    gettext_noop("View"),
    gettext_noop("View %s"),
    gettext_noop("Error:"),
    gettext_noop("Save"),
    gettext_noop("Save as new"),
    gettext_noop("Save and add another"),
    gettext_noop("Save and continue editing"),
    gettext_noop("Save and view"),
    gettext_noop("Delete selected %(model)s"),
    gettext_noop("Change password"),
    gettext_noop("Password change"),
    gettext_noop(
        "Please enter your old password, for security’s sake, and then enter your new password twice so we can "
        "verify you typed it in correctly."
    ),
    gettext_noop("Old password"),
    gettext_noop("Change my password"),
    gettext_noop("Password change successful"),
    gettext_noop("Your password was changed."),
)

PLURAL_MESSAGES = (
    (
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
    ),
    (
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    ),
    (
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
    (
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
    ),
)

ADMIN_PLURAL_MESSAGES = (
    ("Please correct the error below.", "Please correct the errors below."),
    ("%(count)s %(name)s was changed successfully.", "%(count)s %(name)s were changed successfully."),
)


def _for_makemessages() -> None:  # pragma: no cover  (never called: makemessages reads these calls)
    ngettext(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        1,
    )
    ngettext(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        1,
    )
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        1,
    )
    ngettext(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        1,
    )
    ngettext("Please correct the error below.", "Please correct the errors below.", 1)
    ngettext("%(count)s %(name)s was changed successfully.", "%(count)s %(name)s were changed successfully.", 1)
