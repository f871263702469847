import pytest

from helpers import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every solver backend."""
    return request.param
