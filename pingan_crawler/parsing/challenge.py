"""Recognise anti-bot challenge pages by vendor, from status, headers and body alone.

A challenge is the site defending itself: the crawler must stop that site for the run and say
so, never retry, solve or run the page's JavaScript (research/sites.md §6). Each rule names the
published signature it keys on; a normal page, a plain 404 or a 403 without a WAF's wording is
not a challenge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

RUISHU, JIASULE, YUNSUO, ALIYUN, CLOUDFLARE, WAF = (
    "ruishu",
    "jiasule",
    "yunsuo",
    "aliyun",
    "cloudflare",
    "waf",
)
VENDORS = (RUISHU, JIASULE, YUNSUO, ALIYUN, CLOUDFLARE, WAF)

# Challenge pages are small; a real article that merely quotes a marker is long.
_MAX_CHALLENGE_BYTES = 64 * 1024
_RUISHU_BODY = re.compile(rb"\$_ts\s*=\s*window\[\s*['\"]\$_ts['\"]\s*\]|\$_ts\.(?:nsd|cd)\s*=")
_RUISHU_META = re.compile(rb"<meta[^>]+\br=['\"]m['\"]", re.I)
_RUISHU_COOKIE = re.compile(r"^(?:FSSBBIl1UgzbN7N80[ST]|NfBCSins2OywS[ST]?)=", re.I)
_JIASULE_BODY = re.compile(
    rb"__jsl_clearance|document\.cookie\s*=.{0,3000}location\.href\s*=\s*location\.pathname",
    re.S,
)
_JIASULE_COOKIE = re.compile(r"^(?:__jsluid_[hs]|__jsl_clearance(?:_s)?)=", re.I)
_YUNSUO = re.compile(rb"security_verify_data|yunsuo_session_verify")
_YUNSUO_COOKIE = re.compile(r"^(?:yunsuo_session_verify|security_session_verify)=", re.I)
_ALIYUN = re.compile(rb"acw_sc__v2|/_bot_sbu/sbu_fpcm\.js|\barg1\s*=\s*'[0-9A-F]{20,}'")
_CLOUDFLARE_BODY = re.compile(rb"_cf_chl_opt|cf-browser-verification|<title>Just a moment\.\.\.")
_WAF_WORDS = re.compile(
    "(访问被拦截|访问被拒绝|已被网站防火墙拦截|防火墙|安全狗|网站卫士|访问异常|非法请求|"
    "Web应用防火墙|请求被阻断|您的访问被阻断|WAF)"
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def _header(headers: Mapping[str, Sequence[str] | str], name: str) -> list[str]:
    for key, values in headers.items():
        if key.lower() == name:
            return [values] if isinstance(values, str) else list(values)
    return []


def is_challenge_url(url: str) -> str | None:
    """The vendor whose verification URL this is (云锁 redirects to ``?security_verify_data=``)."""
    return YUNSUO if "security_verify_data=" in url else None


def detect_challenge(
    status: int, headers: Mapping[str, Sequence[str] | str], body: bytes
) -> str | None:
    """The vendor of the anti-bot challenge this response is, or None for an ordinary page."""
    cookies = _header(headers, "set-cookie")
    location = " ".join(_header(headers, "location"))
    if is_challenge_url(location) or any(_YUNSUO_COOKIE.match(c) for c in cookies):
        return YUNSUO
    if [v for v in _header(headers, "cf-mitigated") if v.strip().lower() == "challenge"]:
        return CLOUDFLARE
    if len(body) > _MAX_CHALLENGE_BYTES:
        return None
    if _RUISHU_BODY.search(body) and (status == 412 or _RUISHU_META.search(body)):
        return RUISHU
    if status == 412 and any(_RUISHU_COOKIE.match(c) for c in cookies):
        return RUISHU
    jsl_cookie = any(_JIASULE_COOKIE.match(c) for c in cookies)
    if _JIASULE_BODY.search(body) and (status in (521, 512) or jsl_cookie):
        return JIASULE
    if status == 521 and jsl_cookie:
        return JIASULE
    if _YUNSUO.search(body):
        return YUNSUO
    if _ALIYUN.search(body):
        return ALIYUN
    if _CLOUDFLARE_BODY.search(body) and status in (403, 429, 503):
        return CLOUDFLARE
    if status in (403, 405, 406, 418, 444, 493) or _is_error_titled(body):
        text = body[:8192].decode("utf-8", "replace")
        if _WAF_WORDS.search(text):
            return WAF
    return None


def _is_error_titled(body: bytes) -> bool:
    """A 200 page whose title says 访问异常/访问被拦截 (some WAFs answer 200)."""
    match = _TITLE.search(body[:4096])
    if not match:
        return False
    title = match.group(1).decode("utf-8", "replace")
    return bool(_WAF_WORDS.search(title))
