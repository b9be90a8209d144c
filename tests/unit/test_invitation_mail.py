"""The invitation email says where to sign in and with which address; it never carries a code."""

from __future__ import annotations

import logging
import re

import pytest

from isp_ledger.mail import LogMailer, invitation_message


def test_the_invitation_says_where_to_sign_in_and_holds_no_code() -> None:
    message = invitation_message("isp@school.example", "farah@example.org", "Farah Khan", "https://isp.example/sign-in")
    text = message.get_content()
    assert message["To"] == "farah@example.org"
    assert message["Subject"] == "A child's support plan has been shared with you"
    assert "Dear Farah Khan" in text and "https://isp.example/sign-in" in text and "farah@example.org" in text
    assert not re.search(r"\b\d{6}\b", text)


def test_without_a_mail_server_the_invitation_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="isp_ledger.mail"):
        LogMailer().send_invitation("farah@example.org", "Farah Khan", "http://localhost:8000/sign-in")
    assert "farah@example.org" in caplog.text and "http://localhost:8000/sign-in" in caplog.text
