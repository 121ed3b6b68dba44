"""`briefbot ingest FILE` reads at most its cap from any file: /dev/zero is refused, not loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import LimitError
from bot.services.ingest import IngestService


@pytest.mark.parametrize("name", ["/dev/zero", "big.xml"])
async def test_a_file_beyond_the_cap_is_refused_before_it_is_loaded(tmp_path: Path, name: str) -> None:
    path = Path(name) if name.startswith("/") else tmp_path / name
    if not name.startswith("/"):
        path.write_bytes(b"<rss>" + b" " * 5000)
    service = IngestService(object(), max_file_bytes=4096)  # type: ignore[arg-type]  # never reached
    with pytest.raises(LimitError, match="larger than"):
        await service.ingest(str(path))
