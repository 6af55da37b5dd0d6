"""Reading Prometheus exposition text the way a scraper would."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when it has not been written yet)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0.0


def scrape(client, name: str, **labels: str) -> float:
    response = client.get("/metrics")
    assert response.status_code == 200
    return sample(response.get_data(as_text=True), name, **labels)
