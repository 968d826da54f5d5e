"""The one rule for what counts as lit: the lamp model, or a street's own ``lit=yes`` tag.

The gap list, the per-grid lighting summary (command line, ``/plan/lighting``) and the map's
gap layer all ask :func:`lit_samples`, so a street tagged ``lit=yes`` is lit in every one of
them; :func:`lit_lengths` says per street how much of that is the tag's word and how much the
lamp model confirms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.analysis.lighting import LightingCoverage
from geo_service.vocab import Lit


def lit_samples(coverage: LightingCoverage, *, trust_lit_tag: bool = True) -> pd.DataFrame:
    """Per street sample (rows of ``coverage.samples``): ``by_model`` (the lamps reach the
    class minimum), ``by_tag`` (the street is tagged ``lit=yes`` and the tag is trusted) and
    ``lit`` (either)."""
    frame = coverage.samples
    by_model = frame["lit"].to_numpy(dtype=bool)
    tags = coverage.segments["lit"].to_numpy()[frame["segment"].to_numpy()]
    by_tag = (tags == Lit.YES.value) if trust_lit_tag else np.zeros(len(frame), dtype=bool)
    return pd.DataFrame({"by_model": by_model, "by_tag": by_tag, "lit": by_model | by_tag},
                        index=frame.index)


def lit_lengths(coverage: LightingCoverage, *, trust_lit_tag: bool = True) -> pd.DataFrame:
    """Per street (rows of ``coverage.segments``): ``grid_id``, ``length_m``, ``lit_m`` =
    ``tag_lit_m`` (tagged lit) + ``model_lit_m`` (lit by the lamp model, not tagged lit),
    ``unlit_m``, and ``model_confirmed_m`` (all the length the lamp model finds lit, tagged
    or not)."""
    flags = lit_samples(coverage, trust_lit_tag=trust_lit_tag)
    segment = coverage.samples["segment"].to_numpy()
    step = coverage.samples["step_m"].to_numpy(dtype=float)
    count = len(coverage.segments)

    def total(mask: np.ndarray) -> np.ndarray:
        return np.bincount(segment, weights=step * mask, minlength=count)

    table = pd.DataFrame({"grid_id": coverage.segments["grid_id"].to_numpy(),
                          "length_m": coverage.segments["length_m"].to_numpy(dtype=float)})
    table["tag_lit_m"] = total(flags["by_tag"].to_numpy())
    table["model_lit_m"] = total((flags["by_model"] & ~flags["by_tag"]).to_numpy())
    table["lit_m"] = table["tag_lit_m"] + table["model_lit_m"]
    table["unlit_m"] = table["length_m"] - table["lit_m"]
    table["model_confirmed_m"] = total(flags["by_model"].to_numpy())
    return table
