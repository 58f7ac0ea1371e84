"""Feed text is untrusted: make it plain, single-line where needed, harmless in Markdown, and spot orders to a model."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "svg", "head"}
_BLOCK = {
    "p",
    "br",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "section",
    "article",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_NL = re.compile(r"\s*\n\s*")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment: tags, scripts and styles gone, entities decoded, spaces folded."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        p = _Text()
        p.feed(markup)
        p.close()
        text = html.unescape("".join(p.out))
    text = _WS.sub(" ", text)
    return _NL.sub("\n", text).strip()


def one_line(text: str) -> str:
    """Fold every line break and control character into one space: a title can never start a new line."""
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", text)).strip()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_inline(text: str) -> str:
    """Feed text as literal Markdown: one line, no markup, no links, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


_SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*|[^。！？!?；;\n]+")


def sentences(text: str) -> list[str]:
    """Split Chinese or English prose into sentences on 。！？；!? and line breaks (periods in 3.5% are kept)."""
    out = []
    for chunk in re.split(r"(?<=[.])\s+(?=[A-Z])", text):
        out += [s.strip() for s in _SENT.findall(chunk) if s.strip()]
    return out


_INSTRUCTION = re.compile(
    r"(忽略|无视|不要理会|忘记|忘掉).{0,12}(指令|指示|提示|要求|规则|设定)"
    r"|(以上|之前|前面|上述)(所有|全部)?的?(指令|指示|提示|内容)"
    r"|(请|务必|必须)(你|您)?(在|于)?(报告|回答|输出|文章)"
    r"|(系统提示|system prompt|提示词|prompt injection)"
    r"|\b(ignore|disregard|forget)\b.{0,30}\b(instructions?|prompts?|rules|above)\b"
    r"|\byou are (now )?(a|an|the)\b.{0,40}\b(assistant|model|AI)\b"
    r"|\b(output|print|write|respond with)\b.{0,30}\b(report|answer|the following)\b",
    re.IGNORECASE,
)


def is_instruction(text: str) -> bool:
    """A sentence that gives orders to a model rather than reporting news; never quoted as a fact."""
    return bool(_INSTRUCTION.search(text))


_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(((?:[^()\n]|\([^()\n]*\))*)\)")
_SCHEME = re.compile(r"\b(javascript|vbscript|data)\s*:", re.IGNORECASE)
_STRUCTURAL = re.compile(r"^(\s*)(#|---|\*\*\*|___|===|>|```|~~~|事件时间：|- \*\*对)")


def harmless(text: str, *, multiline: bool = False) -> str:
    """Text that can sit in the report's Markdown without adding markup, links, HTML or structure.

    Idempotent, so a parsed-back report validates to the same text; `**bold**` and numbered lists
    stay (they are harmless), headings, rules, quotes and front-matter fences at a line start do not.
    """
    if _TAG.search(text):
        text = html_to_text(text)
    text = text.replace("<", "＜").replace(">", "＞")
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _SCHEME.sub(lambda m: m.group(1) + "：", text)
    if not multiline:
        return _STRUCTURAL.sub(r"\1\\\2", one_line(text))
    lines = [
        re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", ln).rstrip()
        for ln in text.replace("\r\n", "\n").split("\n")
    ]
    lines = [_STRUCTURAL.sub(r"\1\\\2", ln) for ln in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
