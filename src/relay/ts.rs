//! MPEG-TS to ADTS (TO BE WRITTEN: helper "hls").
