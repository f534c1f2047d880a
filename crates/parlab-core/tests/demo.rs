//! Demo 2's runner: every way finds the same distances and records its run;
//! the progress hook hears every way start and end; what cannot be done is
//! refused as a value before any way runs.

use parlab_core::Error;
use parlab_core::demo::{PathDemo, Progress, Way};
use parlab_core::graph::{Algorithm, Graph};

#[test]
fn every_way_finds_the_same_distances() {
    for algorithm in [Algorithm::Product, Algorithm::Bitset] {
        let demo = PathDemo::new(120, 0.03, 9, 30, 10).unwrap().algorithm(algorithm).unwrap().chunksize(4).unwrap();
        let all = demo.four_ways(2).unwrap();
        assert!(all.agree(), "{algorithm:?}");
        assert!(all.disagreeing().is_none());
        let expected: Vec<_> =
            demo.pairs().iter().map(|&(i, j)| demo.graph().path_distance(i, j, 10).unwrap()).collect();
        assert_eq!(all.outcomes[0].distances, expected);
        let labels: Vec<&str> = all.runs().iter().map(|r| r.label.as_str()).collect();
        let wanted: Vec<String> = Way::ALL.iter().map(|w| w.label(2)).collect();
        assert_eq!(labels, wanted);
        for (label, prefix) in labels.iter().zip(["(d)", "(a)", "(b)", "(c)", "(c)"]) {
            assert!(label.starts_with(prefix), "{label}");
        }
        assert!(all.runs().iter().all(|r| r.tasks.len() == 30 && r.tasks.iter().all(|t| t.ok)));
        // Process tasks ran in worker processes, not here.
        let me = std::process::id();
        assert!(all.outcomes[1].run.tasks.iter().all(|t| t.lane.pid != me));
        assert!(all.outcomes[2].run.tasks.iter().all(|t| t.lane.pid != me));
    }
}

#[test]
fn the_hook_hears_each_way_start_then_finish_in_order() {
    let demo = PathDemo::new(80, 0.05, 3, 8, 10).unwrap();
    let mut heard = Vec::new();
    let all = demo
        .four_ways_with(2, |p| match p {
            Progress::Started { way, label } => heard.push(format!("start {way:?} {label}")),
            Progress::Finished { way, outcome } => heard.push(format!("end {way:?} {}", outcome.run.tasks.len())),
        })
        .unwrap();
    let expected: Vec<String> =
        Way::ALL.iter().flat_map(|w| [format!("start {w:?} {}", w.label(2)), format!("end {w:?} 8")]).collect();
    assert_eq!(heard, expected);
    assert_eq!(all.outcomes.len(), Way::ALL.len());
}

#[test]
fn a_way_differing_from_the_first_is_named() {
    let demo = PathDemo::new(60, 0.05, 3, 6, 10).unwrap();
    let mut all = demo.four_ways(1).unwrap();
    all.outcomes[3].distances[0] = Some(usize::MAX);
    assert!(!all.agree());
    assert_eq!(all.disagreeing().map(|o| o.run.label.as_str()), Some("(c) 1 threads, shared"));
}

#[test]
fn impossible_demos_are_refused_before_any_way_runs() {
    let g = Graph::random(10, 0.5, 0).unwrap();
    let err = PathDemo::with_pairs(g, vec![(0, 1), (3, 10)], 3).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("j = 10")), "{err}");
    assert_eq!(PathDemo::new(10, 0.5, 0, 3, 3).unwrap().chunksize(0).unwrap_err(), Error::ZeroChunksize);
    let mut heard = 0;
    assert_eq!(
        PathDemo::new(10, 0.5, 0, 3, 3).unwrap().four_ways_with(0, |_| heard += 1).unwrap_err(),
        Error::ZeroWorkers
    );
    assert_eq!(heard, 0);
    // Way (a)'s copies of a matrix bigger than memory: refused by size alone, nothing built.
    let err = PathDemo::ensure_fits(10_000_000, Algorithm::Product, 2).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("way (a)") && m.contains("memory")), "{err}");
    assert!(PathDemo::ensure_fits(1_000, Algorithm::Bitset, 2).is_ok());
}
