"""Properties of phone handling over many generated inputs."""

from hypothesis import given
from hypothesis import strategies as st

from openday.lib.masking import mask_phone
from openday.lib.personal_data import is_mobile, lookup_hash, normalize_phone

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", "\u3000"])


@given(mobiles, separators, st.booleans())
def test_a_mobile_written_any_common_way_is_the_same_number(mobile, sep, prefixed):
    written = ("+86" if prefixed else "") + sep.join([mobile[:3], mobile[3:7], mobile[7:]])
    assert normalize_phone(written) == mobile
    assert is_mobile(written)
    assert lookup_hash(written) == lookup_hash(mobile)


@given(mobiles)
def test_a_masked_mobile_shows_only_the_ends(mobile):
    masked = mask_phone(mobile)
    assert masked == mobile[:3] + "****" + mobile[-4:]
    assert len(masked) == 11 and masked.count("*") == 4


@given(st.text(max_size=12))
def test_normalizing_never_raises_and_rejects_non_mobiles(text):
    result = normalize_phone(text)
    assert isinstance(result, str)
    if not any(c.isdigit() for c in text):
        assert not is_mobile(text)
