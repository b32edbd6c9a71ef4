"""Screens, each beside its stylesheet (`name.py` + `name.tcss`)."""
