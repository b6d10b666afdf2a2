from ..gateway.conftest import _quiet_sdk, sim, sim_app  # noqa: F401 - shared fixtures
