#!/usr/bin/env python3
"""Reference for tests/bench/bench_rouge.c: rouge_score 0.1.2's
RougeScorer(['rouge1', 'rougeL'], use_stemmer=True).score(target, prediction),
transcribed (tokenize.py, rouge_scorer.py, scoring.py; spec/algorithms.md §1)
onto nltk's PorterStemmer, because the pip package is not installed here.

usage: rouge_ref.py SHARED_DIR REPEATS

Reads every (answer, paraphrased_answer) pair of the TOFU *_perturbed files in
the order bench_rouge.c reads them, scores each pair REPEATS times over, and
prints:
    pairs N
    seconds_per_pass S          (best pass, scoring only)
    then one line per pair:     rouge1_recall rougeL_recall   (float.hex)
"""
import collections
import json
import os
import re
import sys
import time

from nltk.stem import porter

FILES = ["forget01_perturbed.json", "forget05_perturbed.json",
         "forget10_perturbed.json", "retain_perturbed.json"]

# tokenize.py
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_VALID = re.compile(r"^[a-z0-9]+$")


def tokenize(text, stemmer):
    text = _NOT_ALNUM.sub(" ", text.lower())
    tokens = _SPACES.split(text)
    if stemmer:
        # the package stems only tokens longer than 3 characters
        tokens = [stemmer.stem(t) if len(t) > 3 else t for t in tokens]
    return [t for t in tokens if _VALID.match(t)]


# scoring.py
def fmeasure(precision, recall):
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


# rouge_scorer.py
def ngrams(tokens, n):
    counts = collections.Counter()
    for gram in (tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)):
        counts[gram] += 1
    return counts


def score_ngrams(target, prediction):
    overlap = 0
    for gram in target:
        overlap += min(target[gram], prediction[gram])
    precision = overlap / max(sum(prediction.values()), 1)
    recall = overlap / max(sum(target.values()), 1)
    return precision, recall, fmeasure(precision, recall)


def lcs_table(ref, can):
    table = [[0] * (len(can) + 1) for _ in range(len(ref) + 1)]
    for i in range(1, len(ref) + 1):
        for j in range(1, len(can) + 1):
            if ref[i - 1] == can[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table


def score_lcs(target, prediction):
    if not target or not prediction:
        return 0, 0, 0
    lcs = lcs_table(target, prediction)[-1][-1]
    precision = lcs / len(prediction)
    recall = lcs / len(target)
    return precision, recall, fmeasure(precision, recall)


class Scorer:
    """RougeScorer(['rouge1', 'rougeL'], use_stemmer=True)."""

    def __init__(self):
        self.rouge_types = ["rouge1", "rougeL"]
        self.stemmer = porter.PorterStemmer()

    def score(self, target, prediction):
        # the package's per-type dispatch, kept so the timing is honest
        t = tokenize(target, self.stemmer)
        p = tokenize(prediction, self.stemmer)
        result = {}
        for rouge_type in self.rouge_types:
            if rouge_type == "rougeL":
                result[rouge_type] = score_lcs(t, p)
            elif re.match(r"rouge[0-9]$", rouge_type):
                n = int(rouge_type[5:])
                result[rouge_type] = score_ngrams(ngrams(t, n), ngrams(p, n))
            else:
                raise ValueError("invalid rouge type: %s" % rouge_type)
        return result


def main():
    shared, repeats = sys.argv[1], int(sys.argv[2])
    pairs = []
    for name in FILES:
        with open(os.path.join(shared, "data", "tofu", name), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                if "paraphrased_answer" in row:
                    pairs.append((row["answer"], row["paraphrased_answer"]))

    scorer = Scorer()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        results = [scorer.score(t, p) for t, p in pairs]
        best = min(best, time.perf_counter() - start)

    out = ["pairs %d" % len(pairs), "seconds_per_pass %r" % best]
    for r in results:
        out.append("%s %s" % (float(r["rouge1"][1]).hex(), float(r["rougeL"][1]).hex()))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
