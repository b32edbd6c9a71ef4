"""The errors of qualifying processes."""

from __future__ import annotations

from ..errors import LeadqError


class FeatureOff(LeadqError):
    """The lead qualifying process feature is switched off."""


class ProcessRefused(LeadqError):
    """A change to a qualifying process, or an assignment, is not allowed."""
