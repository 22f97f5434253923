"""Signals sent by accounts. `password_verified` carries the password, which other apps may use at that moment
only (never store it): the safe channel derives the key that unlocks the user's private key from it."""

from django.dispatch import Signal

# Sent with request=, user=, password= right after a password was checked and the user logged in.
password_verified = Signal()
