//! (being written) Predictor–corrector loop, Algorithm 3.
/// Schedule.
pub struct PcSchedule;
/// Sampler.
pub struct PredictorCorrector;
