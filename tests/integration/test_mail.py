"""Mail settings (``ISP_LEDGER_SMTP_URL``, ``ISP_LEDGER_MAIL_FROM``) and sending a sign-in code to a real SMTP server
on loopback, or to the log when none is set."""

from __future__ import annotations

import logging

import pytest

from isp_ledger.config import ConfigError, Settings
from isp_ledger.mail import LogMailer, SmtpMailer, mailer
from tests.mailbox import free_port, smtp_server

PASSWORD = "s3cret-mail-pw"


@pytest.mark.parametrize(("url", "host", "port", "security"), [
    ("smtp://mail.example.org", "mail.example.org", 25, "none"),
    ("smtp://mail.example.org:2525", "mail.example.org", 2525, "none"),
    ("smtp://u:p@mail.example.org?security=starttls", "mail.example.org", 587, "starttls"),
    ("smtps://mail.example.org", "mail.example.org", 465, "ssl"),
])
def test_smtp_urls_are_understood(url: str, host: str, port: int, security: str) -> None:
    smtp = Settings.from_env({"ISP_LEDGER_SMTP_URL": url}).smtp
    assert smtp is not None and (smtp.host, smtp.port, smtp.security) == (host, port, security)


@pytest.mark.parametrize(("url", "says"), [
    ("mail.example.org", "must start smtp://"),
    ("smtp://", "SMTP URLs look like"),
    ("smtp://mail.example.org?tls=yes", "unknown option(s) tls"),
    ("smtp://mail.example.org?security=maybe", "security must be starttls, ssl or none"),
    (f"smtp://me:{PASSWORD}@mail.example.org:port", "the port must be a number"),
])
def test_a_bad_smtp_url_stops_start_up_naming_the_variable_and_never_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ISP_LEDGER_SMTP_URL": url})
    message = str(refused.value)
    assert message.startswith("ISP_LEDGER_SMTP_URL: ") and says in message and PASSWORD not in message
    good = Settings.from_env({"ISP_LEDGER_SMTP_URL": f"smtp://me:{PASSWORD}@mail.example.org"})
    assert PASSWORD not in repr(good) and PASSWORD not in repr(good.smtp)


def test_a_bad_from_address_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="ISP_LEDGER_MAIL_FROM"):
        Settings.from_env({"ISP_LEDGER_MAIL_FROM": "nobody"})


def test_the_code_goes_by_smtp_when_a_server_is_set_and_to_the_log_when_not(caplog: pytest.LogCaptureFixture) -> None:
    assert isinstance(mailer(Settings.from_env({})), LogMailer)
    with smtp_server() as mailbox:
        settings = Settings.from_env({"ISP_LEDGER_SMTP_URL": mailbox.url,
                                      "ISP_LEDGER_MAIL_FROM": "Oak School <ledger@oak.example.org>"})
        sender = mailer(settings)
        assert isinstance(sender, SmtpMailer)
        sender.send_code("Pat@Example.org", "042917", 10)
        sender.close()
        message = mailbox.wait_for("pat@example.org")
        assert message["From"] == "Oak School <ledger@oak.example.org>"
        assert message["Subject"] == "Your isp-ledger sign-in code"
        assert mailbox.code_for("pat@example.org", 1) == "042917"
    with caplog.at_level(logging.WARNING, logger="isp_ledger.mail"):
        LogMailer().send_code("pat@example.org", "042917", 10)
    assert "pat@example.org" in caplog.text and "042917" in caplog.text


def test_a_mail_server_that_does_not_answer_is_logged_without_the_code(caplog: pytest.LogCaptureFixture) -> None:
    nowhere = Settings.from_env({"ISP_LEDGER_SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}).smtp
    assert nowhere is not None
    sender = SmtpMailer(nowhere, "ledger@example.org")
    with caplog.at_level(logging.ERROR, logger="isp_ledger.mail"):
        sender.send_code("pat@example.org", "042917", 10)
        sender.close()
    assert "could not be sent" in caplog.text and "pat@example.org" in caplog.text
    assert "042917" not in caplog.text
