"""Mermaid `stateDiagram-v2` text generated from a definition (docs and the diagram endpoint)."""

from __future__ import annotations

from bizext.workflow.definitions import WorkflowDefinition


def mermaid(definition: WorkflowDefinition, language: str = "en") -> str:
    lines = ["stateDiagram-v2", f"    %% {definition.key} v{definition.version}: {definition.title.en}"]
    for s in definition.states.values():
        label = getattr(s.label, language)
        note = f" ({s.owner_role})" if s.owner_role else ""
        lines.append(f'    state "{label}{note}" as {s.name}')
        if s.side == "customer":
            lines.append(f"    class {s.name} customerSide")
    lines.append(f"    [*] --> {definition.initial}")
    for t in definition.transitions:
        if t.explicit_owner_role and len(t.sources) > 2:
            # A transition from (almost) every state, like withdraw, would drown the picture: note it once.
            lines.append(f"    note right of {t.targets[0]}: {t.name} from any open state ({t.explicit_owner_role})")
            continue
        for source in t.sources:
            for target in t.targets:
                lines.append(f"    {source} --> {target}: {t.name}")
    for s in definition.states.values():
        if s.terminal:
            lines.append(f"    {s.name} --> [*]")
    lines.append("    classDef customerSide fill:#fff4d6,stroke:#b58900")
    return "\n".join(lines) + "\n"
