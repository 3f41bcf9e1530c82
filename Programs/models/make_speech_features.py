#!/usr/bin/env python3
"""Speech input for thirdparty/microwakeword_okay_nabu.tflite (see thirdparty/README.md).

espeak-ng says "okay nabu"; pymicro-features (the TFLite Micro audio frontend that
microWakeWord uses) turns the 16 kHz audio into 40-channel feature frames every 10 ms; the
frames are quantized with the model's input scale and zero point and grouped 3 per
invocation, exactly as pymicro-wakeword 2.5.0 feeds the model. On random input the wake-word
model answers 0 every time; on this speech its output rises to 254 of 255 and falls back.

Writes thirdparty/microwakeword_okay_nabu.speech.int8.bin: (invocations, 1, 3, 40) int8,
row-major; make_thirdparty_refs.py reads it as the reference inputs. Needs no TensorFlow:

    apt-get install espeak-ng                       # 1.51+dfsg-10+deb12u2 (Debian 12)
    python3 -m venv /tmp/venv-speech
    /tmp/venv-speech/bin/pip install pymicro-features==2.0.2 numpy==2.4.6
    /tmp/venv-speech/bin/python Programs/models/make_speech_features.py

The same espeak-ng and pymicro-features versions give the same bytes.
"""
import os
import subprocess
import tempfile
import wave

import numpy as np
from pymicro_features import MicroFrontend

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "thirdparty", "microwakeword_okay_nabu.speech.int8.bin")
TEXT = "okay nabu"
VOICE, WORDS_PER_MINUTE, PITCH = "en-us", 160, 40
RATE = 16000
PAD_BEFORE_S, PAD_AFTER_S = 0.1, 0.2
# the model's input quantization (make_thirdparty_refs.py checks it against the file)
INPUT_SCALE, INPUT_ZERO_POINT = 0.10196078568696976, -128
FRAMES_PER_INVOCATION = 3
CHUNK = 160            # samples per 10 ms


def speech_pcm():
    """espeak-ng's waveform, resampled to 16 kHz (linear interpolation) and padded."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "speech.wav")
        subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-p", str(PITCH),
                        "-w", wav, TEXT], check=True)
        with wave.open(wav) as w:
            rate = w.getframerate()
            assert w.getsampwidth() == 2 and w.getnchannels() == 1
            a = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64)
    t = np.arange(0, len(a) / rate, 1.0 / RATE)
    b = np.interp(t, np.arange(len(a)) / rate, a)
    b = np.concatenate([np.zeros(int(PAD_BEFORE_S * RATE)), b, np.zeros(int(PAD_AFTER_S * RATE))])
    return np.clip(np.round(b), -32768, 32767).astype(np.int16).tobytes()


def features(pcm):
    """Feature frames (n, 40) float, as pymicro_wakeword.MicroWakeWordFeatures makes them."""
    frontend = MicroFrontend()
    frames, i = [], 0
    while i + 2 * CHUNK <= len(pcm):
        r = frontend.process_samples(pcm[i:i + 2 * CHUNK])
        i += r.samples_read * 2
        if r.features:
            frames.append(np.array(r.features, np.float64))
    return np.stack(frames)


def main():
    f = features(speech_pcm())
    n = len(f) // FRAMES_PER_INVOCATION
    q = np.clip(np.round(f[:n * FRAMES_PER_INVOCATION] / INPUT_SCALE + INPUT_ZERO_POINT), -128, 127).astype(np.int8)
    q = q.reshape(n, 1, FRAMES_PER_INVOCATION, f.shape[1])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as out:
        out.write(q.tobytes())
    print("%s: %d invocations of %s int8" % (os.path.relpath(OUT, HERE), n, list(q.shape[1:])))


if __name__ == "__main__":
    main()
