"""Proxying real APIs and recording what they answer."""
