"""The input a suspended case receives when the applicant has uploaded corrected documents (补正).

Sent by `rongju correct` (and later the intake API) through Prefect's resume; the corrected files are
already stored in the case DB by then — this input only says which kinds changed.
"""

from __future__ import annotations

from prefect.input import RunInput
from pydantic import Field


class CorrectionSubmitted(RunInput):
    """补正材料已提交 Corrected documents were uploaded."""

    kinds: list[str] = Field(default_factory=list, title="补正的材料 corrected document kinds")
