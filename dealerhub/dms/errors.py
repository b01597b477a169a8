"""DMS-specific errors with stable codes (clients branch on ``code``)."""

from __future__ import annotations

from dealerhub.errors import DealerhubError, InvalidRequest, InvalidState


class AdfInvalid(InvalidRequest):
    """The ADF document could not be read (``code`` says why: adf_invalid_xml, adf_unsafe_xml,
    adf_too_large, adf_missing_field, adf_multiple_prospects)."""

    code = "adf_invalid_xml"


class LeadInvalid(InvalidRequest):
    """The lead lacks what a dealer needs to act on it (lead_missing_contact, lead_no_consent)."""

    code = "lead_missing_contact"


class DealInDms(InvalidState):
    """400: the change would move a deal the DMS already holds to another customer or
    currency; a DMS files a deal under its customer, so that is a new deal, not an edit."""

    code = "deal_in_dms"


class DmsNotConfigured(DealerhubError):
    """Live mode without DealerTrack credentials in /configuration: fix configuration, not
    retryable."""

    status = 400
    code = "dms_not_configured"
    retryable = False
