"""A small fake of Stripe's API on a loopback port, for the real stripe-python client.

It speaks the wire format in WIRE.md: form-encoded requests parsed the way Stripe parses them
(`line_items[0][price_data][unit_amount]=1000`), JSON objects shaped like Stripe's, Stripe's
error shape, Idempotency-Key replays, and events signed exactly like Stripe signs them
(`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}" keyed by the whole whsec_>`).

    fake = FakeStripe(webhook_secret="whsec_...").start()
    settings.STRIPE_API_BASE = fake.url; settings.STRIPE_SECRET_KEY = fake.secret_key
    ...
    event = fake.complete_session(session_id)           # builds checkout.session.completed
    body, header = fake.signed(event)                   # post it to the webhook yourself
    fake.webhook_url = live_server + "/billing/stripe/webhook/"   # or let the fake deliver
"""

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import httpx

API_VERSION = "2025-09-30.clover"


CHECKOUT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Fake Stripe Checkout</title>
<style>body{{font-family:system-ui,sans-serif;background:#f6f9fc;display:grid;place-items:center;
height:100vh;margin:0}}form{{background:#fff;padding:32px;border-radius:12px;box-shadow:0 2px 12px
#0002;min-width:320px}}button{{width:100%;padding:12px;background:#635bff;color:#fff;border:0;
border-radius:6px;font-size:16px}}</style></head><body><form method="post">
<p>Fake Stripe Checkout (tests)</p><h1>Pay ${amount:.2f}</h1><p>{email}</p>
<button type="submit" id="pay">Pay</button></form></body></html>"""


def _id(prefix):
    return f"{prefix}_test_{secrets.token_hex(12)}"


def parse_form(body: str) -> dict:
    """Stripe's bracket notation to nested dicts and lists: a[0][b]=1 -> {"a": [{"b": "1"}]}."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class StripeApiError(Exception):
    def __init__(self, status, message, code=None, param=None, type="invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type, "code": code, "param": param}}


class FakeStripe:
    def __init__(self, *, webhook_secret=None, secret_key=None):
        self.secret_key = secret_key or "sk_test_" + secrets.token_hex(16)
        self.webhook_secret = webhook_secret or "whsec_" + secrets.token_hex(24)
        self.webhook_url = None
        # Seconds between a payment and its event reaching webhook_url (Stripe is not instant).
        self.webhook_delay = 0.0
        # When set, sessions' `url` is a small hosted checkout page on the fake itself (for
        # browser tests, which must not leave loopback) instead of checkout.stripe.com.
        self.hosted_checkout = False
        self.sessions = {}
        self.payment_intents = {}
        self.charges = {}
        self.refunds = {}
        self.events = []
        self.requests = []  # (method, path, parsed params) as received
        self.deliveries = []  # (event id, status code) of events the fake posted itself
        self._idempotent = {}
        self._pending = []  # events to send once the API call that caused them has answered
        self._lock = threading.Lock()
        self._server = None

    # Lifecycle.

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(7))
                self.end_headers()
                self.wfile.write(raw)

            def _checkout_page(self, method, session_id):
                session = fake.sessions.get(session_id)
                if session is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                if method == "POST":
                    fake.complete_session(session_id)
                    self.send_response(303)
                    self.send_header("Location", session["success_url"])
                    self.end_headers()
                    return
                page = CHECKOUT_PAGE.format(
                    amount=session["amount_total"] / 100, email=session.get("customer_email") or ""
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                path, _, query = self.path.partition("?")
                if match := re.fullmatch(r"/c/pay/(\w+)", path):
                    return self._checkout_page(method, match[1])
                params = parse_form(body if method == "POST" else query)
                auth = self.headers.get("Authorization", "")
                if auth != f"Bearer {fake.secret_key}":
                    return self._answer(
                        401,
                        {
                            "error": {
                                "message": "Invalid API Key provided.",
                                "type": "invalid_request_error",
                            }
                        },
                    )
                key = self.headers.get("Idempotency-Key")
                with fake._lock:
                    fake.requests.append((method, path, params))
                    if key and (method, path, key) in fake._idempotent:
                        return self._answer(*fake._idempotent[(method, path, key)])
                    try:
                        answer = (200, fake._route(method, path, params))
                    except StripeApiError as exc:
                        answer = (exc.status, exc.body)
                    if key:
                        fake._idempotent[(method, path, key)] = answer
                self._answer(*answer)
                fake._deliver_pending()

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # The API.

    def _route(self, method, path, params):
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._session_create(params)
        if match := re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path):
            if match[1] not in self.sessions:
                raise StripeApiError(
                    404, f"No such checkout.session: '{match[1]}'", "resource_missing", "id"
                )
            return self.sessions[match[1]]
        if method == "POST" and path == "/v1/refunds":
            return self._refund_create(params)
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _session_create(self, params):
        if params.get("mode") != "payment":
            raise StripeApiError(400, "Missing required param: mode.", "parameter_missing", "mode")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise StripeApiError(
                400, "Missing required param: line_items.", "parameter_missing", "line_items"
            )
        for param in ("success_url", "cancel_url"):
            if not params.get(param):
                raise StripeApiError(
                    400, f"Missing required param: {param}.", "parameter_missing", param
                )
        total, currency = 0, None
        for i, item in enumerate(items):
            price = item.get("price_data") or {}
            try:
                unit, quantity = int(price["unit_amount"]), int(item.get("quantity", 1))
            except (KeyError, ValueError) as exc:
                raise StripeApiError(
                    400,
                    "Invalid line item.",
                    "parameter_invalid_integer",
                    f"line_items[{i}][price_data][unit_amount]",
                ) from exc
            total += unit * quantity
            currency = price.get("currency")
        session_id = "cs_test_" + secrets.token_urlsafe(40).replace("-", "a").replace("_", "b")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params["cancel_url"],
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": int(time.time()) + 86400,
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "url": f"{self.url if self.hosted_checkout else 'https://checkout.stripe.com'}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return session

    def _refund_create(self, params):
        intent = self.payment_intents.get(params.get("payment_intent", ""))
        if intent is None:
            raise StripeApiError(
                404, "No such payment_intent.", "resource_missing", "payment_intent"
            )
        charge = self.charges[intent["latest_charge"]]
        left = charge["amount"] - charge["amount_refunded"]
        amount = int(params.get("amount") or left)
        if amount > left or amount <= 0:
            raise StripeApiError(
                400,
                f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on charge (${left / 100:.2f})",
                "amount_too_large",
                "amount",
            )
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "metadata": params.get("metadata") or {},
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        charge["refunds"]["total_count"] += 1
        self._pending.append(self.event("charge.refunded", charge))
        return refund

    # Driving payments, as a customer at Stripe's checkout would.

    def complete_session(self, session_id, *, payment_status="paid"):
        """The customer paid (or, with payment_status="unpaid", used a delayed method): returns
        the checkout.session.completed event (delivered too when webhook_url is set)."""
        with self._lock:
            session = self.sessions[session_id]
            intent_id, charge_id = _id("pi"), _id("ch")
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": session["amount_total"],
                "amount_refunded": 0,
                "currency": session["currency"],
                "payment_intent": intent_id,
                "refunded": False,
                "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0},
                "status": "succeeded" if payment_status == "paid" else "pending",
            }
            self.payment_intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": session["amount_total"],
                "latest_charge": charge_id,
            }
            session.update(
                status="complete", payment_status=payment_status, payment_intent=intent_id
            )
            event = self.event("checkout.session.completed", session)
            self._pending.append(event)
        self._deliver_pending()
        return event

    def succeed_async_payment(self, session_id):
        with self._lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid"
            self.charges[self.payment_intents[session["payment_intent"]]["latest_charge"]][
                "status"
            ] = "succeeded"
            event = self.event("checkout.session.async_payment_succeeded", session)
            self._pending.append(event)
        self._deliver_pending()
        return event

    # Events.

    def event(self, type, obj):
        event = {
            "id": _id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
        self.events.append(event)
        return event

    def signed(self, event, *, secret=None, timestamp=None):
        """(raw body, Stripe-Signature header) for an event, as Stripe would send them."""
        body = json.dumps(event, indent=2).encode()
        return body, sign(body, secret or self.webhook_secret, timestamp)

    def deliver(self, event, url=None, **sign_options):
        body, header = self.signed(event, **sign_options)
        response = httpx.post(
            url or self.webhook_url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
            timeout=30,
        )
        self.deliveries.append((event["id"], response.status_code))
        return response

    def _deliver_pending(self):
        # Stripe sends events after answering the API call that caused them.
        pending, self._pending = self._pending, []
        if not self.webhook_url:
            return

        def send():
            time.sleep(self.webhook_delay)
            for event in pending:
                self.deliver(event)

        if self.webhook_delay:
            threading.Thread(target=send, daemon=True).start()
        else:
            send()
