"""Sending the service's mail: sign-in codes (CONTRACT.md §13), and the invitation to someone given access to a plan
(it says where to sign in; it never carries a code or a link that signs in by itself).

With ``ISP_LEDGER_SMTP_URL`` set, by SMTP (the standard library's ``smtplib`` and ``email.message``), from a
background thread, so the page that asked for a code answers at once whether or not a mail goes out (and an
onlooker cannot time which). A failure is logged, without the code. Without it, the code is written to the
service's log (WARNING, naming the address): one person on one machine can then sign in.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

from isp_ledger.config import Settings, SmtpLocation

log = logging.getLogger(__name__)

SUBJECT = "Your isp-ledger sign-in code"
INVITATION_SUBJECT = "A child's support plan has been shared with you"
TIMEOUT_SECONDS = 30


def code_message(sender: str, to: str, code: str, minutes: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = SUBJECT
    message.set_content(
        f"Your code to sign in to isp-ledger is\n\n    {code}\n\n"
        f"Type it into the page where you asked for it. It works for {minutes} minutes, once.\n\n"
        "If you did not ask for a code, you can ignore this email: nobody can sign in without the code.\n"
    )
    return message


def invitation_message(sender: str, to: str, name: str, sign_in_url: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = INVITATION_SUBJECT
    message.set_content(
        f"Dear {name},\n\nA school has shared a child's Individual Support Plan with you on isp-ledger.\n\n"
        f"To see it, go to\n\n    {sign_in_url}\n\nand enter this email address ({to}). We will then email "
        "you a code to sign in with.\n\nIf you were not expecting this, please contact the school.\n"
    )
    return message


class LogMailer:
    """No mail server: the code goes to the service's log, for the person running it."""

    def send_code(self, to: str, code: str, minutes: int) -> None:
        log.warning("No ISP_LEDGER_SMTP_URL is set, so no mail was sent: the sign-in code for %s is %s "
                    "(valid for %d minutes)", to, code, minutes)

    def send_invitation(self, to: str, name: str, sign_in_url: str) -> None:
        log.warning("No ISP_LEDGER_SMTP_URL is set, so no mail was sent: %s was given access to a plan and signs "
                    "in at %s", to, sign_in_url)

    def close(self) -> None:
        pass


class SmtpMailer:
    def __init__(self, location: SmtpLocation, sender: str) -> None:
        self.location = location
        self.sender = sender
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="isp-ledger-mail")

    def send_code(self, to: str, code: str, minutes: int) -> None:
        self.pool.submit(self._send, code_message(self.sender, to, code, minutes))

    def send_invitation(self, to: str, name: str, sign_in_url: str) -> None:
        self.pool.submit(self._send, invitation_message(self.sender, to, name, sign_in_url))

    def _send(self, message: EmailMessage) -> None:
        where = self.location
        try:
            if where.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(where.host, where.port, timeout=TIMEOUT_SECONDS,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(where.host, where.port, timeout=TIMEOUT_SECONDS)
            with smtp:
                if where.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if where.user:
                    smtp.login(where.user, where.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as e:
            log.error("The mail to %s could not be sent through %s:%d: %s", message["To"], where.host,
                      where.port, e)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def mailer(settings: Settings) -> LogMailer | SmtpMailer:
    location = settings.smtp
    return SmtpMailer(location, settings.mail_from) if location is not None else LogMailer()
