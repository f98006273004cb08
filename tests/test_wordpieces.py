"""The untuned word-piece means the industry head reads beside the tuned vectors."""

from __future__ import annotations

import pickle

import numpy as np

from fieldsignal.triage.wordpieces import WordPieceMeans, table_file


def test_word_piece_means_carry_what_words_mean_and_are_never_pickled() -> None:
    means = WordPieceMeans()
    hospital, clinic, bank, empty = means.features(
        [
            "the hospital wants dashboards for its patients",
            "a clinic asks for a nurse rota app",
            "card fraud at the bank",
            "",
        ]
    )
    assert abs(float(np.linalg.norm(hospital)) - 1.0) < 1e-5
    assert float(hospital @ clinic) > float(hospital @ bank)  # two care providers are nearer than a bank
    assert not empty.any()
    table = np.load(table_file(), mmap_mode="r")
    assert table.shape[1] == hospital.shape[0] and table.shape[0] > 30_000
    restored = pickle.loads(pickle.dumps(means))
    assert len(pickle.dumps(means)) < 200  # the table and the tokenizer stay out of a model's pickle
    assert np.allclose(restored.features(["card fraud at the bank"])[0], bank)
