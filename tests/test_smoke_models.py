import models

from .conftest import make_lead


def test_qualify_creates_three(db, rep):
    lead = make_lead(rep)
    result = models.qualify_lead(lead.id, rep)
    assert result.account.name == "Contoso Ltd."
    assert result.contact.email == "nancy@contoso.com"
    assert result.opportunity.topic == "50 ergonomic chairs"
