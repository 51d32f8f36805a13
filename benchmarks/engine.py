"""Pure `Engine.step` calls per second for a realistic mix of what parents send.

    .venv/bin/python benchmarks/engine.py [--seconds 3] [--families 50]

The mix is recorded first by playing families through the engine (the in-memory family of the
unit tests applies each step's effects): Telegram and SMS onboarding in English and Welsh
(community, language, consent, child, date, name, confirmation), keywords (HELP, CHILDREN,
TIPS, EVENTS, PAUSE, RESUME), play-park consultation answers, tip reactions (buttons and bare
numbers after a tip) and nonsense. Then every recorded (snapshot, message) pair is replayed
through `Engine.step` in a loop for `--seconds`. The shipped tip library and the shipped
safeguarding word lists (config/safeguarding.yaml: every message is screened) are loaded, as in
production. Baselines in the same run: a trivial function call over the same pairs (the loop's
own cost), and the mix rendered the simplest way a bot could answer at all (one f-string reply
per message), so the engine's figure reads as "N naive replies' worth of work".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.consultation_yaml import load  # noqa: E402
from bot.container import shipped_library  # noqa: E402
from bot.settings import load_safeguarding, load_signposting  # noqa: E402
from conversations.content.library import TipLibrary  # noqa: E402
from conversations.engine import Engine  # noqa: E402
from conversations.flows import consultation as consultation_flow  # noqa: E402
from conversations.flows.base import Ctx  # noqa: E402
from conversations.types import (  # noqa: E402
    IDLE,
    Channel,
    ContactSnapshot,
    ContactStatus,
    InboundKind,
    InboundMessage,
    OutgoingMessage,
)
from tests.unit import family as fam  # noqa: E402

Pair = tuple[str, ContactSnapshot, InboundMessage]


class Recorder:
    """Stands in for the unit tests' ENGINE: records each call, then runs the real step."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.config, self.label = engine, engine.config, "?"
        self.pairs: list[Pair] = []

    def step(self, contact: ContactSnapshot, event: InboundMessage, now: Any) -> Any:
        self.pairs.append((self.label, contact, event))
        return self.engine.step(contact, event, now)


def onboard(rec: Recorder, channel: Channel, welsh: bool, n: int) -> fam.Family:
    family = fam.Family(channel)
    rec.label = "onboarding"
    if channel is Channel.TELEGRAM:
        family.send(kind=InboundKind.START, payload="bettws" if welsh else "feltham")
    else:
        family.send("Helo" if welsh else "feltham")
    if welsh:
        family.press("lang:cy")
    family.press("consent:yes")
    family.press("kind:born")
    family.send(f"{1 + n % 28}/{1 + n % 12}/2025")
    family.send(f"Sam{n}")
    family.press("more:no")
    family.press("confirm:yes")
    assert family.contact.status is ContactStatus.ACTIVE, family.text
    return family


def record_mix(families: int) -> tuple[Engine, list[Pair]]:
    screen_file = ROOT / "config" / "safeguarding.yaml"
    config = replace(
        fam.engine_config(),
        tips=TipLibrary(shipped_library()),
        safeguarding=load_safeguarding(screen_file),
        signposting=load_signposting(screen_file),
    )
    engine = Engine(config)
    rec = Recorder(engine)
    fam.ENGINE = rec  # type: ignore[assignment]  # Family looks ENGINE up at call time
    park, problems = load(ROOT / "examples/consultations/play-park.yaml", ("en", "cy"))
    assert park is not None, problems
    for n in range(families):
        channel = Channel.TELEGRAM if n % 2 else Channel.SMS
        family = onboard(rec, channel, welsh=n % 3 == 0, n=n)
        rec.label = "keyword"
        for word in ("HELP", "TIPS", "EVENTS"):
            family.send(word)
        family.send("CHILDREN")
        family.send("PAUSE")
        family.send("RESUME")
        rec.label = "tip reaction"
        tipped = replace(family.contact, last_tip_id="c061", last_tip_at=fam.NOW)
        family.contact = tipped
        if channel is Channel.TELEGRAM:
            family.send(choice="r:c061:useful")
        else:
            family.send("1")
        rec.label = "nonsense"
        family.contact = replace(tipped, last_tip_at=fam.NOW - timedelta(days=30))
        family.send("asdf qwerty 123 🙂")
        family.send("When is the next group?")
        rec.label = "consultation"
        family.contact = replace(family.contact, consultation=park, state=IDLE)
        begun = consultation_flow.begin(Ctx(config, family.contact, fam.NOW), park)
        family._apply(begun)
        for answer in ("1", "2", "1 3", "4", "It needs shade."):
            family.send(answer)
    fam.ENGINE = engine
    return engine, rec.pairs


def loop(pairs: list[Pair], call: Callable[[ContactSnapshot, InboundMessage], object], s: float):  # type: ignore[no-untyped-def]
    """Calls per second of `call` over `pairs`, repeated for about `s` seconds."""
    calls, started = 0, time.perf_counter()
    deadline = started + s
    while time.perf_counter() < deadline:
        for _label, contact, event in pairs:
            call(contact, event)
        calls += len(pairs)
    return calls / (time.perf_counter() - started)


def naive_reply(contact: ContactSnapshot, event: InboundMessage) -> object:
    return OutgoingMessage(f"Thanks, {contact.language or 'en'}: {event.text or ''}", ("en",))


def profiled(pairs: list[Pair], call: Callable[..., object], s: float) -> float:
    """`loop` under pyinstrument if installed, else cProfile (slower, but always there)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        rate = profile.runcall(loop, pairs, call, s)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return float(rate)
    with Profiler() as profiler:
        rate = loop(pairs, call, s)
    profiler.print(show_all=False)
    return float(rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--families", type=int, default=50, help="families recorded in the mix")
    parser.add_argument(
        "--profile", action="store_true", help="profile the engine loop (pyinstrument or cProfile)"
    )
    args = parser.parse_args()
    engine, pairs = record_mix(args.families)
    now = fam.NOW
    mix = Counter(label for label, _, _ in pairs)
    print(f"mix: {len(pairs)} messages: " + ", ".join(f"{k} {v}" for k, v in mix.items()))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def step(contact: ContactSnapshot, event: InboundMessage) -> object:
        return engine.step(contact, event, now)

    trivial = loop(pairs, lambda contact, event: None, args.seconds)
    naive = loop(pairs, naive_reply, args.seconds)
    ours = profiled(pairs, step, args.seconds) if args.profile else loop(pairs, step, args.seconds)
    print(f"baseline, trivial call: {trivial:,.0f} calls/s")
    print(f"baseline, naive one-line reply: {naive:,.0f} calls/s")
    print(
        f"Engine.step: {ours:,.0f} calls/s ({ours / naive:.3f}x the naive reply, "
        f"{ours / trivial:.4f}x the trivial call; goal 20,000/s)"
    )
    for label in mix:
        subset = [p for p in pairs if p[0] == label]
        rate = loop(subset, step, min(1.0, args.seconds / 3))
        print(f"  {label}: {rate:,.0f} calls/s")


if __name__ == "__main__":
    main()
