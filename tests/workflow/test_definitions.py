"""Loading the workflow definitions: the built-in ones load, and a broken file is refused at load with a
message that names the file and the entry at fault."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from bizext.workflow.definitions import parse, registry
from bizext.workflow.errors import DefinitionError

# -- the built-in definitions, against DESIGN §3 and §4 (written by hand, not read from the YAML) ----------

HV_STATES = {
    # state: (side, owner role)
    "application_review": ("utility", "customer_manager"),
    "awaiting_documents": ("customer", "customer"),
    "site_survey": ("utility", "customer_manager"),
    "scheme_drafting": ("utility", "customer_manager"),
    "scheme_review": ("utility", "planner"),
    "customer_design": ("customer", "customer"),
    "design_review": ("utility", "design_reviewer"),
    "customer_construction": ("customer", "customer"),
    "intermediate_inspection": ("utility", "inspector"),
    "completion_inspection": ("utility", "inspector"),
    "rectification": ("customer", "customer"),
    "contract_signing": ("customer", "customer_manager"),
    "energization": ("utility", "metering_technician"),
}
LV_STATES = {
    "application_review": ("utility", "customer_manager"),
    "awaiting_documents": ("customer", "customer"),
    "scheme_and_contract": ("utility", "customer_manager"),
    "installation": ("utility", "metering_technician"),
}
TERMINAL = {"energized", "rejected", "withdrawn"}


def test_both_built_in_definitions_load_with_their_first_stage_application_review():
    reg = registry()
    assert [(d.key, d.version) for d in reg.latest()] == [("hv-standard", 1), ("lv-simple", 1)]
    for key in ("hv-standard", "lv-simple"):
        definition = reg.get(key)
        assert definition.initial == "application_review"
        assert definition.source == f"{key}.yaml"
        assert reg.versions(key) == [1]


@pytest.mark.parametrize(("key", "expected"), [("hv-standard", HV_STATES), ("lv-simple", LV_STATES)])
def test_built_in_definition_has_the_states_sides_and_owner_roles_of_the_design(key, expected):
    definition = registry().get(key)
    assert set(definition.states) == set(expected) | TERMINAL
    for name, (side, role) in expected.items():
        state = definition.state(name)
        assert (state.side, state.owner_role, state.terminal) == (side, role, False), name
    for name in TERMINAL:
        state = definition.state(name)
        assert (state.side, state.owner_role, state.terminal) == (None, None, True), name


# -- validation at load ---------------------------------------------------------------------------------------

def _label(en: str) -> dict[str, str]:
    return {"zh": en, "en": en}


#: A minimal valid definition: two live states (one utility, one customer), a terminal one, a guard, an input.
MINIMAL: dict[str, Any] = {
    "key": "mini",
    "version": 1,
    "title": _label("Mini"),
    "initial": "review",
    "states": {
        "review": {"side": "utility", "owner": "customer_manager", "label": _label("Review")},
        "waiting": {"side": "customer", "owner": "customer", "label": _label("Waiting")},
        "done": {"terminal": True, "label": _label("Done")},
    },
    "transitions": [
        {"name": "ask", "label": _label("Ask"), "from": "review", "to": "waiting",
         "input": {"required": ["what"], "properties": {"what": {"type": "string", "minLength": 1}}}},
        {"name": "answer", "label": _label("Answer"), "from": "waiting", "to": "review"},
        {"name": "finish", "label": _label("Finish"), "from": "review", "to": "done",
         "guards": ["important_customer"]},
    ],
}


def _text(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _transition(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in doc["transitions"] if t["name"] == name)


def test_the_minimal_definition_used_below_is_valid():
    definition = parse(_text(MINIMAL), "mini.yaml")
    assert set(definition.states) == {"review", "waiting", "done"}
    assert [t.name for t in definition.transitions] == ["ask", "answer", "finish"]


def _unknown_state_in_from(doc):
    _transition(doc, "answer")["from"] = "limbo"


def _unknown_state_in_from_list(doc):
    _transition(doc, "answer")["from"] = ["waiting", "limbo"]


def _unknown_state_in_to(doc):
    _transition(doc, "ask")["to"] = "limbo"


def _unknown_state_in_conditional_to(doc):
    _transition(doc, "ask")["to"] = [{"state": "limbo", "guards": ["important_customer"]}, {"state": "waiting"}]


def _unreachable_state(doc):
    doc["states"]["orphan"] = {"side": "utility", "owner": "planner", "label": _label("Orphan")}
    doc["transitions"].append({"name": "leave_orphan", "label": _label("Leave"), "from": "orphan", "to": "done"})


def _state_without_owner(doc):
    del doc["states"]["waiting"]["owner"]


def _state_with_two_owners(doc):
    doc["states"]["review"]["owner"] = ["customer_manager", "planner"]


def _two_owners_from_sources(doc):
    # review is the customer manager's, waiting the customer's: whose transition is this?
    doc["transitions"].append({"name": "cancel", "label": _label("Cancel"), "from": ["review", "waiting"],
                               "to": "done"})


def _owner_given_as_list(doc):
    _transition(doc, "finish")["owner"] = ["customer_manager", "planner"]


def _unknown_guard(doc):
    _transition(doc, "finish")["guards"] = ["moon_is_full"]


def _unknown_unless_guard(doc):
    _transition(doc, "finish")["unless"] = ["moon_is_full"]


def _unknown_destination_guard(doc):
    _transition(doc, "ask")["to"] = [{"state": "waiting", "guards": ["moon_is_full"]}]


def _duplicate_transition_name(doc):
    doc["transitions"].append({"name": "ask", "label": _label("Ask again"), "from": "waiting", "to": "done"})


def _invalid_input_schema(doc):
    _transition(doc, "ask")["input"]["properties"]["what"] = {"type": "text"}


def _invalid_input_schema_keyword_value(doc):
    _transition(doc, "ask")["input"]["properties"]["what"] = {"type": "string", "minLength": -1}


def _required_field_not_declared(doc):
    _transition(doc, "ask")["input"]["required"] = ["what", "why"]


# (mutation, the entry the message must name, words the message must contain)
BROKEN: list[tuple[Callable[[dict[str, Any]], None], str, str]] = [
    (_unknown_state_in_from, "transitions[1] 'answer'", "unknown state 'limbo' in 'from'"),
    (_unknown_state_in_from_list, "transitions[1] 'answer'", "unknown state 'limbo' in 'from'"),
    (_unknown_state_in_to, "transitions[0] 'ask'", "unknown state 'limbo' in 'to'"),
    (_unknown_state_in_conditional_to, "transitions[0] 'ask'", "unknown state 'limbo' in 'to'"),
    (_unreachable_state, "states.orphan", "unreachable state"),
    (_state_without_owner, "states.waiting", "no owner role"),
    (_state_with_two_owners, "states.review", "more than one owner role"),
    (_two_owners_from_sources, "transitions[3] 'cancel'", "two owners"),
    (_owner_given_as_list, "transitions[2] 'finish'", "exactly one owner"),
    (_unknown_guard, "transitions[2] 'finish'", "unknown guard 'moon_is_full'"),
    (_unknown_unless_guard, "transitions[2] 'finish'", "unknown guard 'moon_is_full'"),
    (_unknown_destination_guard, "transitions[0] 'ask'", "unknown guard 'moon_is_full'"),
    (_duplicate_transition_name, "transitions[3] 'ask'", "duplicate transition name"),
    (_invalid_input_schema, "transitions[0] 'ask'", "not a valid JSON Schema"),
    (_invalid_input_schema_keyword_value, "transitions[0] 'ask'", "not a valid JSON Schema"),
    (_required_field_not_declared, "transitions[0] 'ask'", "['why']"),
]


@pytest.mark.parametrize(("mutate", "entry", "words"), BROKEN, ids=[m.__name__.strip("_") for m, _, _ in BROKEN])
def test_an_invalid_definition_is_refused_at_load_naming_the_file_and_the_entry(mutate, entry, words):
    doc = copy.deepcopy(MINIMAL)
    mutate(doc)
    source = f"broken-{mutate.__name__.strip('_')}.yaml"
    with pytest.raises(DefinitionError) as caught:
        parse(_text(doc), source)
    message = str(caught.value)
    assert message.startswith(f"{source}: {entry}: "), message
    assert words in message, message


def test_the_two_owners_message_names_both_roles():
    doc = copy.deepcopy(MINIMAL)
    _two_owners_from_sources(doc)
    with pytest.raises(DefinitionError, match=r"\['customer', 'customer_manager'\]"):
        parse(_text(doc), "two-owners.yaml")


def test_an_explicit_owner_settles_a_transition_from_states_of_different_owners():
    doc = copy.deepcopy(MINIMAL)
    _two_owners_from_sources(doc)
    _transition(doc, "cancel")["owner"] = "customer"
    definition = parse(_text(doc), "one-owner.yaml")
    cancel = definition.transition("cancel")
    assert cancel is not None
    assert {cancel.owner_role(definition.state(s)) for s in cancel.sources} == {"customer"}


def test_yaml_that_does_not_parse_is_refused_naming_the_file():
    with pytest.raises(DefinitionError, match=r"^bad\.yaml: yaml: "):
        parse("key: [unclosed", "bad.yaml")
