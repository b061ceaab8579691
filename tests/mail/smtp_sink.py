#!/usr/bin/python3
"""A real SMTP server for the mail tests (aiosmtpd), storing what arrives.

Usage: smtp_sink.py --dir DIR [--starttls CERT KEY | --tls CERT KEY] [--auth USER:PASSWORD]

Listens on 127.0.0.1, on a port the kernel picks, and prints that port on
stdout (one line) once it accepts connections. Runs until stdin reaches end
of file (the test closes its end, or dies) or a signal ends it.

Each accepted message becomes DIR/msg-N.json (written to a temporary name,
then renamed, before the server answers 250): envelope sender and
recipients, EHLO name, whether the session was TLS and authenticated as
whom, the raw message, and what Python's email parser (an implementation
independent of the one under test) decodes from it: headers, subject, body,
content type and any defects it found.

Behaviour the tests rely on:
  - recipients whose local part starts with "refused" get 550 at RCPT;
  - a message containing REFUSE-THIS-MESSAGE gets 554 after DATA;
  - --starttls: STARTTLS is required before MAIL (require_starttls);
  - --tls: the listener itself is TLS (smtps);
  - --auth: AUTH (PLAIN, LOGIN) with that one credential is required before
    MAIL; aiosmtpd offers AUTH only over TLS unless --tls is used.
"""

import argparse
import email
import email.policy
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].lower().startswith("refused"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if b"REFUSE-THIS-MESSAGE" in raw:
            return "554 5.7.1 Message refused by content policy"
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        defects = [type(d).__name__ for d in msg.defects]
        headers = []
        for name, value in msg.items():
            defects += [type(d).__name__ for d in getattr(value, "defects", ())]
            headers.append([name, str(value)])
        body = None
        if not msg.is_multipart():
            body = msg.get_content()
        transport = server.transport
        tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None)
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "helo": session.host_name,
            "tls": tls,
            "authenticated": bool(session.authenticated),
            "login": login,
            "raw": raw.decode("utf-8", "backslashreplace"),
            "headers": headers,
            "subject": str(msg["subject"]) if msg["subject"] is not None else None,
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "transfer_encoding": msg.get("Content-Transfer-Encoding"),
            "body": body,
            "defects": defects,
        }
        self.count += 1
        path = os.path.join(self.directory, "msg-%d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK: queued"


class EphemeralPortController(Controller):
    """A Controller on a port the kernel picks (port 0), so tests never race."""

    def _create_server(self):
        async def create():
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context)
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    args = parser.parse_args()

    kwargs = {}
    cert_key = args.starttls or args.tls
    context = None
    if cert_key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_key[0], cert_key[1])
    if args.starttls:
        kwargs.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login == user.encode()
                  and auth_data.password == password.encode())
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=not args.tls)
    controller = EphemeralPortController(
        Sink(args.dir), hostname="127.0.0.1", port=0,
        ssl_context=context if args.tls else None, **kwargs)
    controller.start()
    print(controller.port, flush=True)
    sys.stdin.buffer.read()  # until the test closes its end
    controller.stop()


if __name__ == "__main__":
    main()
