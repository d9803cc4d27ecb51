"""Differential tests: the same WireMock roots and requests against WireMock and apidouble."""
