"""Limits and thresholds for file decoding, image quality and the portrait check, as domain types.

The numbers live in config/document_quality.yaml; config/document_quality.py loads them into these types.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DecodeLimits(_Frozen):
    max_pixels: int = Field(gt=0)
    max_side: int = Field(gt=0)


class PdfLimits(_Frozen):
    max_pages: int = Field(gt=0)
    timeout_s: float = Field(gt=0)
    memory_mb: int = Field(ge=128)
    raster_dpi: int = Field(ge=72, le=600)
    scan_max_chars: int = Field(ge=0)
    scan_image_area: float = Field(gt=0, le=1)
    max_raster_pixels: int = Field(gt=0)


class QualityProfile(_Frozen):
    """Minimum size and sharpness for one family of documents."""

    min_long: int = Field(gt=0)
    min_short: int = Field(gt=0)
    min_blur: float = Field(ge=0)


class ExposureThresholds(_Frozen):
    dark_level: int = Field(ge=0, le=255)
    bright_level: int = Field(ge=0, le=255)
    too_dark_mean: float
    too_bright_mean: float


class GlareThresholds(_Frozen):
    value_min: int = Field(ge=0, le=255)
    saturation_max: int = Field(ge=0, le=255)
    min_blob_fraction: float = Field(ge=0, le=1)
    warn_fraction: float = Field(ge=0, le=1)


class PortraitThresholds(_Frozen):
    aspect: float = Field(gt=0)
    aspect_tolerance: float = Field(gt=0, lt=1)
    scale_factor: float = Field(gt=1)
    min_neighbors: int = Field(ge=1)
    min_face_fraction: float = Field(gt=0, lt=1)
    border_fraction: float = Field(gt=0, lt=0.5)
    min_lightness: float = Field(ge=0, le=255)
    max_chroma: float = Field(ge=0)
    min_background_fraction: float = Field(gt=0, le=1)


class DocumentQualityConfig(_Frozen):
    decode: DecodeLimits
    pdf: PdfLimits
    kinds: dict[str, str]
    profiles: dict[str, QualityProfile]
    exposure: ExposureThresholds
    glare: GlareThresholds
    blur_long_side: int = Field(ge=200)
    portrait: PortraitThresholds

    @model_validator(mode="after")
    def _kinds_name_profiles(self) -> DocumentQualityConfig:
        unknown = {p for p in self.kinds.values() if p not in self.profiles}
        if unknown:
            raise ValueError(f"kinds refer to unknown profiles: {sorted(unknown)}")
        return self

    def profile_for(self, kind: str) -> QualityProfile:
        """The quality profile of a document kind (id_front, photo, lease_contract, ...) or a profile name."""
        if kind in self.profiles:
            return self.profiles[kind]
        try:
            return self.profiles[self.kinds[kind]]
        except KeyError:
            raise KeyError(f"no quality profile for document kind {kind!r}") from None
