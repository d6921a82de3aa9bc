"""Update a user in Intercom (REST API 2.x) from AWS Lambda.

Layout: ``handlers`` (one thin entry module per trigger), ``logic`` (the update use case),
``dal`` (Intercom client and connected-account lookup), ``models`` (input, output, errors).
Imports run that way only; ``settings`` and ``observability`` sit between dal and models
(``tests/unit/test_architecture.py``).
"""
