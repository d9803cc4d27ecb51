"""The HTML the authorize and logout endpoints show: self-contained pages, no external assets.

Everything user-supplied is escaped here, and each form carries the authorize parameters as
hidden fields, so ``POST /authorize`` can check them again rather than trust a session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from apidouble.auth.settings import UserSettings

__all__ = ["error_page", "login_page", "logout_page"]

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:3rem 1rem;color:#222}
main{max-width:26rem;margin:auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;
box-shadow:0 1px 4px #0002}
h1{font-size:1.25rem;margin-top:0}p.small{color:#666;font-size:.85rem}
button{display:block;width:100%;margin:.4rem 0;padding:.6rem;font-size:1rem;border-radius:6px;
border:1px solid #4a6ee0;background:#4a6ee0;color:#fff;cursor:pointer;text-align:left}
button.plain{background:#fff;color:#4a6ee0}button small{display:block;opacity:.8}
input[type=text]{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;margin:.3rem 0;
border:1px solid #bbb;border-radius:6px}.error{color:#b00020}hr{border:0;border-top:1px solid #eee}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _hidden(params: Mapping[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in params.items()
    )


def _user_label(user: UserSettings) -> str:
    detail = user.claims.get("email") or user.claims.get("name")
    small = f"<small>{escape(str(detail))}</small>" if detail else ""
    return f"{escape(user.username)}{small}"


def login_page(
    issuer: str,
    client_id: str,
    action: str,
    params: Mapping[str, str],
    users: Sequence[UserSettings],
    error: str | None = None,
) -> str:
    """The sign-in page: one button per configured user, a free subject field, and Cancel.

    Separate forms, so pressing Enter in the subject field submits the subject, not the first
    user button.
    """
    hidden = _hidden(params)
    target = escape(action)
    parts = [
        f"<h1>Sign in to {escape(issuer)}</h1>",
        f'<p class="small">Mock login for client <b>{escape(client_id)}</b>. '
        "No password is checked.</p>",
    ]
    if error:
        parts.append(f'<p class="error">{escape(error)}</p>')
    if users:
        buttons = "".join(
            f'<button type="submit" name="username" value="{escape(u.username)}">'
            f"{_user_label(u)}</button>"
            for u in users
        )
        parts.append(f'<form method="post" action="{target}">{hidden}{buttons}</form><hr>')
    parts.append(
        f'<form method="post" action="{target}">{hidden}'
        '<label for="subject">Subject (any <code>sub</code>)</label>'
        '<input type="text" id="subject" name="subject" required autofocus>'
        '<button type="submit">Sign in</button></form>'
        f'<form method="post" action="{target}">{hidden}'
        '<button class="plain" type="submit" name="deny" value="1">Cancel</button></form>'
    )
    return _page(f"Sign in - {issuer}", "".join(parts))


def error_page(title: str, description: str) -> str:
    """An authorize error that must not redirect (bad client_id or redirect_uri, RFC 6749
    §4.1.2.1): the page is the only place the error can go."""
    body = f'<h1>{escape(title)}</h1><p class="error">{escape(description)}</p>'
    return _page(title, body)


def logout_page(issuer: str, note: str | None = None) -> str:
    """Shown after logout when there is no registered post_logout_redirect_uri to go to."""
    extra = f'<p class="small">{escape(note)}</p>' if note else ""
    return _page("Signed out", f"<h1>Signed out</h1><p>You left {escape(issuer)}.</p>{extra}")
