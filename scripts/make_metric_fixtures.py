#!/usr/bin/env python3
"""Generate the golden fixture for the Swift caption-metrics tests (Sources/Evaluation).

Builds a deterministic synthetic corpus (fixed seed, a small hand-written English
grammar; no real dataset text) of images with five reference captions and one
candidate each, then scores it with pycocoevalcap's own scorer classes:

    Bleu(4), Rouge(), Cider()   (Cider is the CIDEr-D variant: Gaussian length
                                 penalty sigma = 6 and clipped candidate counts)

The scorers are called directly on space-joined tokens, bypassing PTBTokenizer
(which needs Java), so the Swift implementation and pycocoevalcap see exactly the
same tokens.

Writes:
    Tests/Fixtures/evaluation/corpus.json  -- {"images": [{"id", "candidate", "references"}]}
                                              captions are space-joined lowercase tokens
    Tests/Fixtures/evaluation/golden.json  -- corpus scores plus per-image ROUGE-L / CIDEr-D

Usage (from the repository root; needs `pip install pycocoevalcap numpy`):
    python3 scripts/make_metric_fixtures.py
"""

import json
import random
from pathlib import Path

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge

SEED = 20240611
IMAGE_COUNT = 72
REFERENCES_PER_IMAGE = 5

# Each subject: (noun, synonyms usable in references, is an animal).
SUBJECTS = [
    ("dog", ["dog", "puppy"], True),
    ("cat", ["cat", "kitten"], True),
    ("man", ["man", "guy", "person"], False),
    ("woman", ["woman", "lady", "person"], False),
    ("child", ["child", "kid"], False),
    ("boy", ["boy", "kid"], False),
    ("girl", ["girl", "kid"], False),
    ("horse", ["horse", "pony"], True),
    ("bird", ["bird"], True),
    ("skier", ["skier", "person"], False),
]
PLURALS = {"man": "men", "woman": "women", "child": "children", "person": "people",
           "puppy": "puppies", "pony": "ponies", "lady": "ladies"}
ADJECTIVES = ["small", "large", "young", "happy"]
ANIMAL_ADJECTIVES = ADJECTIVES + ["brown", "black", "white", "spotted"]
# Verbs in third person singular / plural, with the places they make sense in.
VERBS = [
    ("runs", "run", ["through the grass", "on the beach", "across a field", "along the road"]),
    ("plays", "play", ["on the beach", "in the snow", "in the park", "with a ball"]),
    ("sits", "sit", ["on a bench", "in the grass", "by the water", "on the sidewalk"]),
    ("jumps", "jump", ["over a fence", "into the water", "in the air", "off a rock"]),
    ("walks", "walk", ["down the street", "through the snow", "along the beach", "in the park"]),
    ("stands", "stand", ["next to a tree", "in front of a building", "on a hill", "near the water"]),
]
COUNTS = ["two", "three", "several"]
EXTRA_PHRASES = ["on a sunny day", "while people watch", "near a red car", "with trees behind",
                 "in the background", "at night"]
UNRELATED = ["a plate of food on a table", "a red bus parked on the street",
             "a clock tower under a blue sky", "a bowl of fruit next to a window"]


def subject_phrase(rng, scene, synonym=None, with_adjective=True):
    noun = synonym or SUBJECTS[scene["subject"]][0]
    adjective = [scene["adjective"]] if with_adjective else []
    if scene["count"] is None:
        article = "an" if (adjective or [noun])[0][0] in "aeiou" else "a"
        return [article] + adjective + [noun]
    return [scene["count"]] + adjective + [PLURALS.get(noun, noun + "s")]


def verb_word(scene):
    singular, plural, _ = VERBS[scene["verb"]]
    return singular if scene["count"] is None else plural


def random_scene(rng):
    verb = rng.randrange(len(VERBS))
    subject = rng.randrange(len(SUBJECTS))
    return {
        "subject": subject,
        "adjective": rng.choice(ANIMAL_ADJECTIVES if SUBJECTS[subject][2] else ADJECTIVES),
        "count": rng.choice([None, None, None] + COUNTS),
        "verb": verb,
        "place": rng.choice(VERBS[verb][2]),
    }


def reference_caption(rng, scene):
    synonyms = SUBJECTS[scene["subject"]][1]
    subject = subject_phrase(rng, scene, rng.choice(synonyms), with_adjective=rng.random() < 0.6)
    words = subject + [verb_word(scene)] + scene["place"].split()
    if rng.random() < 0.3:
        words += rng.choice(EXTRA_PHRASES).split()
    if rng.random() < 0.2:
        # Present-progressive variant: "a dog is running ..." shares fewer n-grams.
        verb = verb_word(scene)
        stem = VERBS[scene["verb"]][1]
        progressive = stem + ("ning" if stem == "run" else "ing")
        auxiliary = "is" if scene["count"] is None else "are"
        index = words.index(verb)
        words = words[:index] + [auxiliary, progressive] + words[index + 1:]
    return words


def candidate_caption(rng, scene, references, kind):
    if kind == "single":
        return [SUBJECTS[scene["subject"]][0]]
    if kind == "exact":
        return list(rng.choice(references))
    if kind == "unrelated":
        return rng.choice(UNRELATED).split()
    base = subject_phrase(rng, scene, with_adjective=rng.random() < 0.5) + [verb_word(scene)]
    if kind == "short":
        return base[: max(2, len(base) - rng.randrange(2))]
    words = base + scene["place"].split()
    if kind == "long":
        words += rng.choice(EXTRA_PHRASES).split() + rng.choice(EXTRA_PHRASES).split()
    elif kind == "repeated":
        index = rng.randrange(len(words))
        words = words[: index + 1] + [words[index]] * rng.randint(1, 3) + words[index + 1:]
    elif kind == "wrong_place":
        other = random_scene(rng)
        words = base + other["place"].split()
    elif kind == "wrong_subject":
        other = dict(scene, subject=(scene["subject"] + 1) % len(SUBJECTS))
        words = subject_phrase(rng, other) + [verb_word(scene)] + scene["place"].split()
    return words


def build_corpus():
    rng = random.Random(SEED)
    kinds = ["plain", "plain", "plain", "short", "long", "repeated", "wrong_place",
             "wrong_subject", "exact", "unrelated"]
    images = []
    for index in range(IMAGE_COUNT):
        scene = random_scene(rng)
        references = [reference_caption(rng, scene) for _ in range(REFERENCES_PER_IMAGE)]
        # Exactly one single-token candidate; the rest cycle through the other kinds.
        kind = "single" if index == 17 else rng.choice(kinds)
        candidate = candidate_caption(rng, scene, references, kind)
        images.append({
            "id": f"synthetic_{index:03d}",
            "kind": kind,
            "candidate": " ".join(candidate),
            "references": [" ".join(reference) for reference in references],
        })
    return images


def main():
    root = Path(__file__).resolve().parent.parent
    out_dir = root / "Tests" / "Fixtures" / "evaluation"
    out_dir.mkdir(parents=True, exist_ok=True)

    images = build_corpus()
    gts = {image["id"]: image["references"] for image in images}
    res = {image["id"]: [image["candidate"]] for image in images}

    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, rouge_per_image = Rouge().compute_score(gts, res)
    cider, cider_per_image = Cider().compute_score(gts, res)
    ids = list(gts.keys())

    golden = {
        "source": "pycocoevalcap 1.2 Bleu(4) option=closest, Rouge() beta=1.2, Cider() n=4 sigma=6 "
                  "(CIDEr-D); scorers called on space-joined tokens, no PTBTokenizer",
        "imageCount": len(images),
        "bleu": [float(value) for value in bleu],
        "rougeL": float(rouge),
        "ciderD": float(cider),
        "rougeLPerImage": {image_id: float(value) for image_id, value in zip(ids, rouge_per_image)},
        "ciderDPerImage": {image_id: float(value) for image_id, value in zip(ids, cider_per_image)},
    }

    (out_dir / "corpus.json").write_text(json.dumps({"images": images}, indent=1) + "\n")
    (out_dir / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")
    print("BLEU-1..4:", ["%.6f" % value for value in golden["bleu"]])
    print("ROUGE-L:  %.6f" % golden["rougeL"])
    print("CIDEr-D:  %.6f" % golden["ciderD"])


if __name__ == "__main__":
    main()
