import socket

import pytest


@pytest.mark.parametrize("host", ["93.184.216.34", "api.openai.com", "10.0.0.1"])
def test_non_loopback_connection_fails_the_test(host: str) -> None:
    s = socket.socket()
    try:
        with pytest.raises(RuntimeError, match="only loopback"):
            s.connect((host, 443))
    finally:
        s.close()
