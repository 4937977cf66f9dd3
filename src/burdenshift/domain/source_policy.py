"""What may stand as a figure's source: the one list the data checks apply (docs/data.md).

An analyst must be able to cite every figure in a briefing, so a source names the original
publisher, title and date, then the URL where it was read. Three kinds of source never qualify,
wherever they appear in the source text: an adversary's state-controlled outlets, forums and
boards, and file paths or design notes (a modelling choice is labelled `assumption` and a
definition `definition`, each with its reasoning in the note). A citation that is only a URL
names nothing an analyst can cite, so each citation must begin with its publisher; and a
sourced figure (`high`, `medium`, `low`) must date its source, or say why it cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Banned:
    kind: str
    """What the source is, as the error names it."""
    keywords: tuple[str, ...]
    """Lower-case text every match contains: the pattern runs only where one is present, since a
    case-blind alternation is slow to scan and every data file's rows pass through here."""
    pattern: re.Pattern[str]
    cased: tuple[str, ...] = ()
    """Text in its case (RT, RIA) that also lets the pattern run."""


BANNED: tuple[Banned, ...] = (
    Banned(
        "a state-controlled outlet of an adversary (TASS, RIA, RT, Sputnik, the Pravda network)",
        ("tass", "ria", "rt.com", "russia today", "sputnik", "noticiabrasil", "pravda"),
        re.compile(
            r"\btass\.(?:com|ru)\b|\bTASS\b|\bria\.ru\b|RIA Novosti|\brt\.com\b|Russia Today"
            r"|sputnik|noticiabrasil\.net\.br|news-pravda\.com|\bpravda-[a-z]{2}\.com\b",
            re.IGNORECASE,
        ),
    ),
    Banned(
        # by name, in capitals or in Cyrillic: "RT" and "RIA" only as whole words, in case
        "a state-controlled outlet of an adversary (TASS, RIA, RT, Sputnik, the Pravda network)",
        ("тасс", "риа", "спутник", "россия сегодня", "правда"),
        re.compile(
            r"\bRT\b|\bRIA\b|(?i:ТАСС|РИА Новости|\bРИА\b|Спутник|Россия сегодня"
            r"|\bправда\.ру)"
        ),
        cased=("RT", "RIA"),
    ),
    Banned(
        "a forum or board",
        (
            "vgchartz",
            "5ch.",
            "2ch.",
            "reddit.com",
            "4chan.",
            "forum",
            "/thread",
            "viewtopic",
            "showthread",
        ),
        re.compile(
            r"vgchartz\.com|\b5ch\.net|\b2ch\.(?:net|hk|sc)|\breddit\.com|\b4chan\.org"
            r"|\bforums?\.[\w-]+\.\w+|/forums?/|/threads?/|viewtopic\.php|showthread\.php",
            re.IGNORECASE,
        ),
    ),
    Banned(
        "a file path or design note",
        ("/", "method.md"),
        # Each branch begins with its literal and checks what precedes it after, so the scan
        # jumps from one '/' to the next rather than trying every position.
        re.compile(
            r"/(?:(?<=^/)|(?<=[\s;(\"']/))[\w.-]+/|shared/design/|\bMETHOD\.md\b"
            r"|docs/(?:(?<=^docs/)|(?<=[\s;(]docs/))[\w./-]+",
            re.IGNORECASE,
        ),
    ),
    Banned(
        "a file path or design note",
        (
            *(".md", ".csv", ".yaml", ".yml", ".txt", ".py", ".json", ".xls", "./", "~/", ":\\"),
            *("file:", "see the method", "design note"),
        ),
        # a relative path with a file's extension, not inside a URL (nothing before it but a
        # space, a bracket or a quote); a home or relative directory; a Windows drive; file://
        re.compile(
            r"(?<![\w/.:-])[\w-]+(?:/[\w.-]+)+\.(?:md|csv|ya?ml|txt|py|json|xlsx?|toml|ipynb)\b"
            r"|(?<![\w/.:])(?:\.{1,2}|~)/[\w.-]|\b[a-z]:\\[\w.-]|\bfile://"
            r"|\bsee the method\b|\bdesign notes?\b",
            re.IGNORECASE,
        ),
    ),
)

FIX = (
    "cite the original publisher, title and date, then the URL where it was read ('read at' for "
    "a relay of a reputable original); where no citable source exists, label the figure an "
    "assumption, give the public facts it rests on and its reasoning in the note (docs/data.md, "
    "Sources)"
)


UNDATED = re.compile(r"\b(?:1[89]|20)\d\d\b|\bundated\b|date not checked", re.IGNORECASE)
"""A date a citation gives, or one of the forms that say why it has none (docs/data.md)."""
UNDATED_FIX = (
    "give the date printed on the page (or in its URL path), 'c. Mar 2024 (inferred: …)', "
    "'undated (no date on the page)' or 'undated (no stored copy found)' (docs/data.md, Sources)"
)

UNNAMED_KIND = "a bare URL that names no publisher, title or date"
UNNAMED = re.compile(r"(?:^|;)\s*(https?://\S+)", re.IGNORECASE)
"""A citation (the source text, or one of its parts separated by ';') that is a bare URL."""


@lru_cache(maxsize=4096)
def breach(source: str) -> tuple[str, str] | None:
    """(what kind of source, the text that matched) for a source the policy rejects, or None."""
    lower = source.lower()
    for rule in BANNED:
        if not any(word in lower for word in rule.keywords) and not any(
            word in source for word in rule.cased
        ):
            continue
        found = rule.pattern.search(source)
        if found:
            return rule.kind, found.group(0).strip()
    bare = UNNAMED.search(source)
    if bare:
        return UNNAMED_KIND, bare.group(1)
    return None
