"""Load-time checks: every mistake is a ConfigError naming the file, line, pointer and stub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("grpc", reason="the grpc extra is not installed")

from apidouble.errors import ConfigError, ConfigProblem
from apidouble.grpc import load_grpc_config
from tests.grpc.support import write_config, write_protos

GET_ITEM = "shop.Catalog/GetItem"


def problems(folder: Path, stubs: list[dict[str, Any]], **section: Any) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as failed:
        load_grpc_config(write_config(folder, stubs, **section))
    return failed.value.problems


def test_an_unknown_response_field_names_the_stub_file_and_line(tmp_path: Path) -> None:
    stubs = [{"name": "ok", "method": GET_ITEM, "response": {"id": 1}},
             {"name": "typo", "method": GET_ITEM, "response": {"nme": "x"}}]  # fmt: skip
    [problem] = problems(tmp_path, stubs)
    assert problem.file == str(tmp_path / "apidouble.json")
    assert problem.stub == "typo"
    assert problem.pointer == "/grpc/stubs/1/response"
    assert problem.line is not None and problem.line > 1
    assert 'shop.Item: Message type "shop.Item" has no field named "nme"' in problem.message
    assert "endpoint 'typo'" in str(problem)


def test_a_wrongly_typed_field_in_a_stream_message_is_an_error(tmp_path: Path) -> None:
    stubs = [{"method": "shop.Catalog/ListItems", "stream": [{"message": {"id": 1}},
              {"message": {"id": "many"}}]}]  # fmt: skip
    [problem] = problems(tmp_path, stubs)
    assert problem.pointer == "/grpc/stubs/0/stream/1/message"
    assert "id" in problem.message


def test_an_unknown_method_suggests_the_closest(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, [{"method": "shop.Catalog/GetItems", "response": {}}])
    assert problem.message == (
        "no method shop.Catalog/GetItems in the served services"
        " (did you mean shop.Catalog/GetItem?)"
    )
    assert problem.pointer == "/grpc/stubs/0/method"


def test_an_unknown_field_in_match_json_suggests_the_proto_name(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, [{"method": GET_ITEM, "match": {"json": {"ID": 1}}}])
    assert (
        problem.message == "match.json: shop.GetItemRequest has no field 'ID' (did you mean 'id'?)"
    )
    assert problem.pointer == "/grpc/stubs/0/match/json"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    stubs = [
        {"method": "shop.Catalog/ListItems", "response": {"name": 3}},
        {"method": GET_ITEM, "stream": [{"message": {}}]},
        {"method": "shop.Catalog/Upload", "stream": [{"message": {}}]},
        {"id": "same", "method": GET_ITEM},
        {"id": "same", "method": GET_ITEM},
    ]
    found = problems(tmp_path, stubs, services=["shop.Catalog", "shop.Basket"])
    messages = [p.message for p in found]
    assert messages[0].startswith("no service 'shop.Basket' in the protos")
    assert "shop.Catalog/GetItem is unary: give response, not stream" in messages
    assert "shop.Catalog/Upload is client-streaming: give response, not stream" in messages
    assert "id 'same' is given to another stub" in messages
    assert any(m.startswith("shop.Item:") for m in messages)  # checked on a streaming method too
    assert len(found) == 5


def test_a_json_field_name_suggests_the_proto_name(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, [{"method": GET_ITEM, "match": {"json": {"itemCode": "x"}}}])
    assert problem.message.endswith("has no field 'itemCode' (did you mean 'item_code'?)")


def test_a_bad_status_is_a_schema_error(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, [{"name": "s", "method": GET_ITEM, "status": "NOT_FOUD"}])
    assert problem.message == "unknown gRPC status 'NOT_FOUD'; did you mean NOT_FOUND?"
    assert problem.stub == "s"
    assert problem.pointer == "/grpc/stubs/0/status"


def test_a_proto_that_does_not_compile_gives_protocs_location(tmp_path: Path) -> None:
    protos = write_protos(tmp_path)
    (protos / "broken.proto").write_text(
        'syntax = "proto3";\npackage b;\nmessage A { Nope x = 1; }\n'
    )
    config = tmp_path / "grpc.yaml"
    config.write_text("grpc:\n  port: 0\n  protos: [protos/broken.proto]\n")
    with pytest.raises(ConfigError) as failed:
        load_grpc_config(config)
    [problem] = failed.value.problems
    assert problem.message == f'{protos / "broken.proto"}:3:13: "Nope" is not defined.'
    assert (problem.pointer, problem.line) == ("/grpc/protos/0", 3)


def test_a_missing_proto_is_an_error(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, [], protos=["protos", "nowhere/"])
    assert problem.message == f"no such file or folder: {tmp_path / 'nowhere'}"
    assert problem.pointer == "/grpc/protos/1"


def test_a_descriptor_set_file_serves_like_its_protos(tmp_path: Path) -> None:
    import grpc_tools
    from grpc_tools import protoc

    protos = write_protos(tmp_path / "src")
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    out = tmp_path / "catalog.protoset"
    args = [f"-I{protos}", f"-I{well_known}", f"--descriptor_set_out={out}", "--include_imports"]
    assert protoc.main(["protoc", *args, str(protos / "catalog.proto")]) == 0
    config = tmp_path / "grpc.json"
    section = {"protos": ["catalog.protoset"], "stubs": [{"method": GET_ITEM}]}
    config.write_text(json.dumps({"grpc": section}))
    loaded = load_grpc_config(config)
    assert loaded.services == ("shop.Catalog",)
    assert loaded.port == 50051
    assert [s.stub.pattern.path for s in loaded.stubs] == ["/shop.Catalog/GetItem"]


def test_keys_that_do_not_suit_the_methods_kind_are_errors(tmp_path: Path) -> None:
    upload, talk = "shop.Catalog/Upload", "shop.Catalog/Talk"
    stubs = [
        {"method": GET_ITEM, "on_message": [{"reply": {}}]},
        {"method": talk, "response": {}},
        {"method": upload, "match": {"json": {"id": 1}}},
        {"method": GET_ITEM, "match": {"json": [{"id": 1}]}},
        {"method": GET_ITEM, "fault": {"after": 1}},
        {"method": talk, "match": {"json": {"text": "x"}}},
        {"method": GET_ITEM, "match": {"each": {"json": {"id": 1}}}},
        {"method": upload, "match": {"json": [{"nme": "x"}]}},
        {"method": talk, "on_message": [{"match": {"json": {"txt": "x"}}, "reply": {"n": "many"}}]},
    ]
    found = [(p.pointer, p.message) for p in problems(tmp_path, stubs)]
    assert found == [
        ("/grpc/stubs/0/on_message",
         "shop.Catalog/GetItem is unary: on_message is for bidi methods"),
        ("/grpc/stubs/1/response", "shop.Catalog/Talk is bidi: give stream and on_message"),
        ("/grpc/stubs/2/match/json",
         "match.json of a client stream is the list of its messages (or use match.each)"),
        ("/grpc/stubs/3/match/json",
         "shop.Catalog/GetItem is unary: match.json is one message, not a list"),
        ("/grpc/stubs/4/fault/after",
         "shop.Catalog/GetItem is unary: it sends one message, fault.after must be 0"),
        ("/grpc/stubs/5/match",
         "shop.Catalog/Talk is bidi: match metadata only; match messages in on_message"),
        ("/grpc/stubs/6/match/each",
         "shop.Catalog/GetItem is unary: match.each is for client streams"),
        ("/grpc/stubs/7/match/json",
         "match.json: shop.Item has no field 'nme' (did you mean 'name'?)"),
        ("/grpc/stubs/8/on_message/0/match/json",
         "match.json: shop.Note has no field 'txt' (did you mean 'text'?)"),
        ("/grpc/stubs/8/on_message/0/reply",
         'shop.Note: Failed to parse n field: invalid literal for int() with base 10: \'many\'.'),
    ]  # fmt: skip


def test_trouble_settings_are_checked_as_an_endpoints(tmp_path: Path) -> None:
    stubs = [
        {"method": GET_ITEM, "latency": {"min_ms": 10}},
        {"method": GET_ITEM, "rate_limit": {"requests": 1, "per": "1s", "status": 503}},
        {"method": GET_ITEM, "outage": {"every": "10s"}},
        {"method": GET_ITEM, "rate_limit": {"requests": 0, "per": "1s"}},
    ]
    found = [(p.pointer, p.message) for p in problems(tmp_path, stubs)]
    assert found[0] == ("/grpc/stubs/0/latency", "latency: a uniform latency needs max_ms")
    refusal = "rate_limit: status are HTTP's; a refused call ends RESOURCE_EXHAUSTED"
    assert found[1] == ("/grpc/stubs/1/rate_limit", refusal)
    assert found[2][0] == "/grpc/stubs/2" and found[2][1].startswith("failure: outage needs")
    assert found[3][0] == "/grpc/stubs/3" and "rate_limit.requests" in found[3][1]
