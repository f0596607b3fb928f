use super::*;
use crate::{PopulationSpec, generate};

#[test]
fn every_kind_is_injected_once_per_round_on_distinct_targets() {
    let base = generate(&PopulationSpec {
        seed: 3,
        employees: 1_500,
        ..PopulationSpec::default()
    });
    let listed = base.employees.iter().map(|e| e.nip.clone()).collect();
    let spec = InjectSpec {
        seed: 9,
        per_kind: 2,
        listed,
        kinds: Vec::new(),
    };
    let a = inject(&base, &spec);
    assert_eq!(a.expected.len(), InjectKind::ALL.len() * 2);
    let subjects: HashSet<_> = a
        .expected
        .iter()
        .map(|r| (r.nip.clone(), r.unor_id.clone()))
        .collect();
    assert_eq!(subjects.len(), a.expected.len(), "one injection per target");
    assert_ne!(a.ehrm, a.bkn);
    let b = inject(&base, &spec);
    assert_eq!(a.expected, b.expected, "same seed, same injections");
    let only = inject(
        &base,
        &InjectSpec {
            kinds: vec!["kinerja_differs".parse().expect("a kind")],
            per_kind: 3,
            ..spec
        },
    );
    assert_eq!(only.expected.len(), 3);
    assert!(
        only.expected
            .iter()
            .all(|r| r.data_set == "kinerja" && r.kind == "differs")
    );
    assert!("no_such_kind".parse::<InjectKind>().is_err());
}
