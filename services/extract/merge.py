"""Mentions merged into entities: one name per person, place or organisation, with its count."""

from collections import Counter
from dataclasses import dataclass

from shared.models import Entities, Entity


@dataclass
class Mention:
    """One recognised mention: its kind and the name it was written with."""

    # "people", "places", "organizations"; "surname" and "place?" are guesses that a full name
    # elsewhere in the text confirms as a person, or not; "name?" is an unknown full name that
    # a town's name alone elsewhere ("Lund went on") shows to be a person's.
    kind: str
    name: str


def merge(mentions: list[Mention]) -> Entities:
    """Count mentions per entity; a lone surname joins the full name that ends with it."""
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in (
        "people", "places", "organizations", "surname", "place?", "name?")}
    for mention in mentions:
        if mention.name:
            counts[mention.kind][mention.name] += 1
    people = counts["people"]
    full = {name.split()[-1]: name for name in sorted(people, key=len) if " " in name}
    merged: Counter[str] = Counter()
    for name, count in people.items():
        merged[full.get(name, name)] += count
    for name, count in counts.pop("surname").items():
        if name in full:
            merged[full[name]] += count
    for name, count in counts.pop("place?").items():
        if name in full:  # "in Zimin’s death": a person after all
            merged[full[name]] += count
        else:
            counts["places"][name] += count
    guessed = {name.split()[-1]: name for name in counts.pop("name?")}
    for name in [name for name in counts["places"] if name in full or name in guessed]:
        # "Holloway" or "Lund" is a town too, but here the surname of someone named in full.
        merged[full.get(name) or guessed[name]] += counts["places"].pop(name) + (
            0 if name in full else 1)
    counts["people"] = merged
    return Entities(**{kind: tuple(Entity(name=name, mentions=count)
                                   for name, count in counter.most_common())
                       for kind, counter in counts.items()})
