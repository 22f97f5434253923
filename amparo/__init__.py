"""Amparo: care pathways, safe channels and case management for sex workers who survive sexual violence."""
