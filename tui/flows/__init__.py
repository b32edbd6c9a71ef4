"""Multi-step user flows (qualify, disqualify, ...) that chain dialogs and services."""
