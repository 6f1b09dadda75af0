"""The phone timeline type: contiguous phones over the whole audio, one label set."""

from voxrig.core.phones import Phone, contiguous, normalise_label


def test_labels_lose_stress_and_everything_not_arpabet_becomes_silence():
    assert normalise_label("AH0") == "AH" and normalise_label("iy1") == "IY"
    assert [normalise_label(x) for x in ("SIL", "+NSN+", "", "sp", "<sil>")] == ["sil"] * 5


def test_gaps_and_ends_are_filled_with_silence_and_silences_merge():
    phones = [Phone("SIL", 0.0, 0.1), Phone("+SPN+", 0.1, 0.2), Phone("B", 0.3, 0.4),
              Phone("AA1", 0.4, 0.6)]
    assert contiguous(phones, 1.0) == [
        Phone("sil", 0.0, 0.3), Phone("B", 0.3, 0.4), Phone("AA", 0.4, 0.6),
        Phone("sil", 0.6, 1.0),
    ]


def test_overlaps_are_trimmed_and_phones_past_the_end_cut():
    phones = [Phone("M", 0.0, 0.5), Phone("AA", 0.4, 0.9), Phone("P", 0.9, 1.5)]
    assert contiguous(phones, 1.0) == [Phone("M", 0.0, 0.5), Phone("AA", 0.5, 0.9),
                                       Phone("P", 0.9, 1.0)]


def test_no_phones_is_one_silence():
    assert contiguous([], 2.0) == [Phone("sil", 0.0, 2.0)]
