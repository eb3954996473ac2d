"""TfIdfVectorizer op cases: unigrams and bigrams with skips over a batch,
IDF with weights on a 1-d int32 row, TFIDF without weights, an n-gram
size outside [min, max] in the pool, and two pool n-grams sharing an output
column. Values come from their own generator, so the other cases keep
theirs."""
import numpy as np

from op_builders import single

RNG = np.random.default_rng(30)


def tokens(*shape, dtype=np.int64):
    """Ids mostly from the pool (7 is not in it)."""
    return RNG.choice(np.array([2, 3, 5, 7]), size=shape).astype(dtype)


# Pool: unigrams 2, 3, 5; bigrams (2, 3), (3, 5), (5, 5); a trigram (2, 3, 5).
POOL = {"ngram_counts": [0, 3, 9], "pool_int64s": [2, 3, 5, 2, 3, 3, 5, 5, 5, 2, 3, 5]}

TFIDF = {
    "TfIdfVectorizerTFSkip2Batch": single(
        "TfIdfVectorizer", {"X": tokens(2, 12)},
        {"mode": "TF", "min_gram_length": 1, "max_gram_length": 2, "max_skip_count": 2,
         "ngram_indexes": [0, 1, 2, 3, 4, 5, 6], **POOL}, opset=9),
    "TfIdfVectorizerIDFWeightsInt32": single(
        "TfIdfVectorizer", {"X": tokens(15, dtype=np.int32)},
        {"mode": "IDF", "min_gram_length": 2, "max_gram_length": 3, "max_skip_count": 1,
         "ngram_indexes": [0, 1, 2, 3, 4, 5, 6], "weights": [1.0, 2.5, 3.0, 0.5, 5.0, 6.0, 7.0], **POOL},
        opset=9),
    # Bigrams only (the trigram's size is past max_gram_length); (2, 3) and
    # (5, 5) share column 1.
    "TfIdfVectorizerTFIDFSharedColumn": single(
        "TfIdfVectorizer", {"X": tokens(3, 9)},
        {"mode": "TFIDF", "min_gram_length": 2, "max_gram_length": 2, "max_skip_count": 0,
         "ngram_indexes": [0, 0, 0, 1, 2, 1, 3], **POOL}, opset=9),
}
