"""The review page of `briefing eval REPORT --html PAGE.html`: one self-contained file, no network.

The editor sees the score, then the claims — unsupported first, then contradicted, supported and
unchecked — each marked by its verdict; a click on a flagged claim (or on its mark in the report
below) shows why it was flagged and the closest source passage, with the source's link. The report
itself follows, every claim marked where it stands. CSS and JS are inline; nothing is fetched.

Every text on the page comes from a report or a feed and is untrusted: it is escaped with
html.escape, and a link is kept only when it is http(s) or file.

Test hook: opening the page as PAGE.html#open=claim-N clicks claim N's button on load, so a
headless browser's --dump-dom shows what a click shows.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from briefing.grounding.check import EvalResult
from briefing.grounding.claims import plain
from briefing.grounding.verdict import ClaimVerdict

ORDER = {"unsupported": 0, "contradicted": 1, "supported": 2, "unchecked": 3}
LABEL = {
    "unsupported": "无来源支持 unsupported",
    "contradicted": "与来源矛盾 contradicted",
    "supported": "有来源支持 supported",
    "unchecked": "观点，未计分 unchecked",
}
_FRONT = re.compile(r"\A\ufeff?---\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_TITLE = re.compile(r"^title:\s*(.+)$", re.M)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.、)）])\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")

CSS = """
body{font:16px/1.6 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;
 color:#1d1d1f;background:#fafafa}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:.2rem 0}
.summary{color:#444}
.controls{margin:1rem 0}
.controls button{margin-right:.5rem}
ol.claims{padding-left:1.5rem}
li.claim{margin:.6rem 0;padding:.4rem .6rem;border-left:4px solid #ccc;background:#fff}
.v-unsupported{border-color:#d97706!important}
.v-contradicted{border-color:#dc2626!important}
.v-supported{border-color:#16a34a!important}
.v-unchecked{border-color:#9ca3af!important}
.badge{display:inline-block;font-size:.75rem;padding:0 .4rem;border-radius:.3rem;color:#fff;margin-right:.4rem}
.badge.v-unsupported{background:#d97706}.badge.v-contradicted{background:#dc2626}
.badge.v-supported{background:#16a34a}.badge.v-unchecked{background:#9ca3af}
.why{font-size:.8rem;margin-left:.4rem;cursor:pointer}
.passage{margin:.5rem 0 0;padding:.5rem;background:#f3f4f6;border-radius:.3rem}
.passage blockquote{margin:.3rem 0;padding-left:.6rem;border-left:3px solid #9ca3af}
mark{background:none;border-bottom:3px solid;padding:0 1px;cursor:pointer}
mark.v-unsupported{border-color:#d97706;background:#fef3c7}
mark.v-contradicted{border-color:#dc2626;background:#fee2e2}
mark.v-supported{border-color:#16a34a}
mark.v-unchecked{border-color:#d1d5db}
.report{background:#fff;padding:1rem;border:1px solid #e5e7eb}
body.flagged-only li.claim.v-supported,body.flagged-only li.claim.v-unchecked{display:none}
"""

JS = """
(function(){
  function open(id){
    var li=document.getElementById(id); if(!li) return;
    var b=li.querySelector('button.why'); if(b && b.getAttribute('aria-expanded')!=='true') b.click();
    li.scrollIntoView({block:'center'});
  }
  document.querySelectorAll('button.why').forEach(function(b){
    b.addEventListener('click',function(){
      var p=document.getElementById(b.getAttribute('aria-controls'));
      var show=p.hasAttribute('hidden');
      if(show){p.removeAttribute('hidden');}else{p.setAttribute('hidden','');}
      b.setAttribute('aria-expanded',show?'true':'false');
    });
  });
  document.querySelectorAll('mark[data-claim]').forEach(function(m){
    m.addEventListener('click',function(){open(m.getAttribute('data-claim'));});
  });
  var f=document.getElementById('flagged-only');
  if(f) f.addEventListener('click',function(){
    var on=document.body.classList.toggle('flagged-only');
    f.setAttribute('aria-pressed',on?'true':'false');
  });
  var m=/^#open=([\\w-]+)$/.exec(location.hash); if(m) open(m[1]);
})();
"""


def _verdict(c: ClaimVerdict) -> str:
    return c.verdict if c.checked else "unchecked"


def _safe_link(link: str | None) -> str | None:
    """Only http(s) and file links are kept: a feed's javascript: link never reaches the page."""
    if not link:
        return None
    scheme = urlsplit(link.strip()).scheme.lower()
    return link.strip() if scheme in ("http", "https", "file") else None


def _claim_item(i: int, c: ClaimVerdict) -> str:
    v = _verdict(c)
    cid, pid = f"claim-{i}", f"passage-{i}"
    reasons = [r for r in c.reasons if not r.startswith("best source passage")]
    parts = [f'<li class="claim v-{v}" id="{cid}" data-verdict="{v}">']
    parts.append(f'<span class="badge v-{v}">{escape(LABEL[v])}</span>{escape(c.text)}')
    if v in ("unsupported", "contradicted") or c.evidence:
        expanded = "false"
        parts.append(
            f'<button type="button" class="why" aria-expanded="{expanded}" aria-controls="{pid}">'
            "原因与出处 why</button>"
        )
        body = []
        if reasons:
            body.append("<ul>" + "".join(f"<li>{escape(r)}</li>" for r in reasons) + "</ul>")
        if c.evidence:
            where = escape(c.source or "source")
            link = _safe_link(c.link)
            cite = f'<a href="{escape(link)}" rel="noopener">{where}</a>' if link else where
            body.append(
                f"<p>最接近的来源段落 closest source passage — {cite}:</p>"
                f"<blockquote>{escape(c.evidence)}</blockquote>"
            )
        else:
            body.append("<p>没有相近的来源段落 no source passage is close.</p>")
        parts.append(f'<div class="passage" id="{pid}" hidden>{"".join(body)}</div>')
    parts.append("</li>")
    return "".join(parts)


def _report_html(markdown: str, ordered: list[tuple[int, ClaimVerdict]]) -> str:
    """The report as simple HTML, each claim's text marked by its verdict where it stands."""
    text = _FRONT.sub("", markdown.replace("\r\n", "\n"), count=1)
    keyed = sorted(ordered, key=lambda ic: -len(ic[1].text))
    out: list[str] = []
    in_list = False
    for raw in text.split("\n"):
        line = raw.rstrip()
        bullet = _BULLET.match(line)
        if in_list and not bullet:
            out.append("</ul>")
            in_list = False
        if not line.strip() or re.fullmatch(r"\s*([-*_])(\s*\1){2,}\s*", line):
            continue
        if h := _HEADING.match(line):
            level = min(len(h.group(1)) + 1, 6)
            out.append(f"<h{level}>{escape(plain(h.group(2)))}</h{level}>")
            continue
        body = plain(_QUOTE.sub("", line))
        if bullet:
            body = plain(bullet.group(1))
        html = escape(body)
        for i, c in keyed:
            needle = escape(c.text.removeprefix("投资启示："))
            if needle and needle in html and f'data-claim="claim-{i}"' not in html:
                v = _verdict(c)
                html = html.replace(
                    needle,
                    f'<mark class="v-{v}" data-claim="claim-{i}" title="{escape(LABEL[v])}">'
                    f"{needle}</mark>",
                    1,
                )
        if bullet:
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html}</li>")
        else:
            out.append(f"<p>{html}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def review_page(markdown: str, result: EvalResult, *, name: str = "report") -> str:
    """The whole page for one checked report."""
    m = _TITLE.search(_FRONT.match(markdown).group(0)) if _FRONT.match(markdown) else None
    title = m.group(1).strip().strip("\"'") if m else name
    numbered = list(enumerate(result.claims, 1))
    ordered = sorted(numbered, key=lambda ic: (ORDER[_verdict(ic[1])], ic[0]))
    counts = {v: sum(_verdict(c) == v for c in result.claims) for v in ORDER}
    summary = (
        f"score {result.score:.2f} — {counts['supported']} of {result.checked} checkable claims "
        f"supported; {counts['unsupported']} unsupported, {counts['contradicted']} contradicted; "
        f"{counts['unchecked']} opinions unchecked"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
            f"<title>{escape(title)} — grounding review</title>",
            f"<style>{CSS}</style></head><body><main>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="summary" id="summary">{escape(summary)}</p>',
            '<div class="controls"><button type="button" id="flagged-only" aria-pressed="false">'
            "只看需核对的 flagged only</button></div>",
            "<h2>Claims</h2>",
            '<ol class="claims">',
            *[_claim_item(i, c) for i, c in ordered],
            "</ol>",
            "<h2>Report</h2>",
            f'<div class="report">{_report_html(markdown, ordered)}</div>',
            f"</main><script>{JS}</script></body></html>",
            "",
        ]
    )
