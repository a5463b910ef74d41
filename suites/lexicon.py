"""The small built-in word lists the word-level text shifts draw from (no downloads):
English contractions, synonym groups of common review and everyday words, and name lists
for named-entity swaps. Written for assay; each group is meant to be interchangeable in
most sentences, as CheckList's invariance tests use them (Ribeiro et al., ACL 2020)."""

from __future__ import annotations

# expansion -> contraction; the expansions are matched case-insensitively
CONTRACTIONS: dict[str, str] = {
    "are not": "aren't",
    "cannot": "can't",
    "could not": "couldn't",
    "did not": "didn't",
    "does not": "doesn't",
    "do not": "don't",
    "had not": "hadn't",
    "has not": "hasn't",
    "have not": "haven't",
    "he is": "he's",
    "i am": "i'm",
    "i have": "i've",
    "i will": "i'll",
    "is not": "isn't",
    "it is": "it's",
    "let us": "let's",
    "she is": "she's",
    "should not": "shouldn't",
    "that is": "that's",
    "there is": "there's",
    "they are": "they're",
    "they have": "they've",
    "they will": "they'll",
    "was not": "wasn't",
    "we are": "we're",
    "we have": "we've",
    "were not": "weren't",
    "what is": "what's",
    "who is": "who's",
    "will not": "won't",
    "would not": "wouldn't",
    "you are": "you're",
    "you have": "you've",
    "you will": "you'll",
}

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("good", "fine", "decent"),
    ("great", "excellent", "superb", "terrific"),
    ("bad", "poor", "lousy"),
    ("terrible", "horrible", "awful", "dreadful"),
    ("film", "movie"),
    ("phone", "handset"),
    ("meal", "dish"),
    ("restaurant", "eatery"),
    ("buy", "purchase"),
    ("bought", "purchased"),
    ("big", "large", "huge"),
    ("small", "little", "tiny"),
    ("fast", "quick", "speedy"),
    ("slow", "sluggish"),
    ("happy", "glad", "pleased"),
    ("sad", "unhappy"),
    ("love", "adore"),
    ("loved", "adored"),
    ("hate", "detest"),
    ("price", "cost"),
    ("problem", "issue", "trouble"),
    ("problems", "issues"),
    ("start", "begin"),
    ("finish", "end"),
    ("help", "assist"),
    ("try", "attempt"),
    ("easy", "simple"),
    ("hard", "difficult"),
    ("beautiful", "lovely", "gorgeous"),
    ("ugly", "hideous"),
    ("really", "truly"),
    ("very", "extremely", "highly"),
    ("friendly", "kind", "pleasant"),
    ("rude", "impolite"),
    ("cheap", "inexpensive"),
    ("expensive", "costly", "pricey"),
    ("boring", "dull", "tedious"),
    ("funny", "amusing", "hilarious"),
    ("tasty", "delicious"),
    ("broken", "faulty", "defective"),
    ("quiet", "silent"),
    ("loud", "noisy"),
    ("clean", "spotless"),
    ("dirty", "filthy"),
    ("recommend", "suggest"),
    ("disappointed", "let down"),
    ("amazing", "incredible", "astonishing"),
    ("worst", "poorest"),
    ("best", "finest"),
)

NAMES: tuple[tuple[str, ...], ...] = tuple(
    tuple(group.split())
    for group in (
        # people
        "John Mary James Linda Michael Sarah David Emma Robert Olivia Daniel Sophia Ahmed "
        "Fatima Wei Mei Raj Priya Carlos Lucia Kwame Amara Yuki Hiroshi",
        # cities
        "London Paris Tokyo Berlin Madrid Rome Chicago Boston Sydney Toronto Mumbai Lagos "
        "Cairo Seoul Lima Oslo",
        # countries
        "France Germany Japan Canada Brazil India Nigeria Egypt Mexico Spain Italy Kenya "
        "Norway Peru Vietnam Australia",
        # brands and companies
        "Samsung Nokia Motorola Sony Panasonic Philips Siemens Toyota Honda Ford Nike Adidas "
        "Verizon Vodafone",
    )
)
