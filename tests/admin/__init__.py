"""Tests of the admin plane over real sockets."""
