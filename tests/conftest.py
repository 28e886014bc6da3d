"""Fixtures are split by topic under ``tests/fixtures/`` (as r5py does) and loaded here."""

pytest_plugins = ["fixtures.cache", "fixtures.demo", "fixtures.baerum", "fixtures.standin",
                  "fixtures.oslo_east"]
