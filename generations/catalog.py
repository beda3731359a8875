"""The models on sale out of the box. A migration seeds them; afterwards they are the operator's
data, edited in the admin (prices, durations, upstream ids, new rows such as Veo 3.1)."""

DEFAULT_MODELS = [
    {
        "slug": "veo-3",
        "display_name": "Veo 3",
        "upstream_model": "veo-3.0-generate-001",
        # 5 s is ours (the contract's quickstart asks for it): upstream makes 6 and we trim.
        "durations": [4, 5, 6, 8],
        "upstream_durations": [4, 6, 8],
        "price_per_second": 40,
        "sort_order": 1,
    },
    {
        "slug": "veo-3-fast",
        "display_name": "Veo 3 Fast",
        "upstream_model": "veo-3.0-fast-generate-001",
        "durations": [4, 5, 6, 8],
        "upstream_durations": [4, 6, 8],
        "price_per_second": 15,
        "sort_order": 2,
    },
    {
        "slug": "veo-2",
        "display_name": "Veo 2",
        "upstream_model": "veo-2.0-generate-001",
        "durations": [5, 6, 7, 8],
        "upstream_durations": [5, 6, 7, 8],
        "price_per_second": 35,
        "sort_order": 3,
    },
]


def video_models_seed(video_model_class):
    """Create the default rows that are missing; existing rows (the operator's edits) stay."""
    for row in DEFAULT_MODELS:
        video_model_class.objects.get_or_create(
            slug=row["slug"],
            defaults={**row, "aspect_ratios": ["16:9", "9:16"], "resolution": "720p"},
        )
