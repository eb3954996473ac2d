"""Task metrics of the bundled OCR models against what was drawn on the
evaluation images (benchmarks/datasets.py text_images):

- ppocr-rec: character error rate (edit distance of the CTC-decoded text to
  the drawn text, over all characters drawn), greedy decoding with the
  character list stored in the model;
- ppocr-cls: accuracy of the 0/180 degree decision;
- ppocr-det: precision, recall and F1 of text boxes: the probability map is
  thresholded at 0.3, connected regions with mean probability >= 0.6 become
  boxes grown by the usual unclip distance (area * 1.5 / perimeter), and a
  box matches a drawn line at IoU >= 0.5 (each line at most once).

Every metric is a number where higher is better except the error rate; each
result is a dict whose "metric" names the headline figure.
"""
import numpy as np
import onnx


def characters(model_path):
    """The recognizer's classes: CTC blank, the stored characters, space."""
    props = {p.key: p.value for p in
             onnx.load(str(model_path), load_external_data=False).metadata_props}
    return ["<blank>"] + props["character"].split("\n") + [" "]


def ctc_decode(probabilities, classes):
    text = []
    for best in probabilities.argmax(-1):
        chars, previous = [], 0
        for index in best:
            if index != previous and index != 0:
                chars.append(classes[index])
            previous = index
        text.append("".join(chars).strip())
    return text


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1,
                                           previous + (ca != cb))
    return row[-1]


def recognition(outputs, truth, classes):
    decoded = ctc_decode(outputs[0], classes)
    drawn = [t["lines"][0][0] for t in truth]
    errors = sum(edit_distance(d, t) for d, t in zip(decoded, drawn))
    exact = np.mean([d == t for d, t in zip(decoded, drawn)])
    return {"metric": "cer", "cer": errors / sum(len(t) for t in drawn),
            "exact": float(exact)}


def orientation(outputs, truth):
    flipped = np.array([t["flipped"] for t in truth])
    return {"metric": "accuracy",
            "accuracy": float(np.mean(outputs[0].argmax(-1) == flipped))}


def boxes_from_map(probability, threshold=0.3, box_threshold=0.6):
    from scipy import ndimage
    labels, count = ndimage.label(probability > threshold)
    boxes = []
    for index, region in enumerate(ndimage.find_objects(labels), 1):
        ys, xs = region
        mask = labels[region] == index
        if probability[region][mask].mean() < box_threshold:
            continue
        w, h = xs.stop - xs.start, ys.stop - ys.start
        if min(w, h) < 3:
            continue
        grow = w * h * 1.5 / (2 * (w + h))
        boxes.append((xs.start - grow, ys.start - grow, xs.stop + grow, ys.stop + grow))
    return boxes


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def detection(outputs, truth):
    found = matched = drawn = 0
    for probability, t in zip(outputs[0][:, 0], truth):
        boxes = boxes_from_map(probability)
        lines = [box for _, box in t["lines"]]
        used = set()
        for box in boxes:
            scores = [(iou(box, line), i) for i, line in enumerate(lines) if i not in used]
            best = max(scores, default=(0.0, -1))
            if best[0] >= 0.5:
                used.add(best[1])
        found += len(boxes)
        matched += len(used)
        drawn += len(lines)
    precision = matched / found if found else 0.0
    recall = matched / drawn if drawn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
    return {"metric": "f1", "f1": f1, "precision": precision, "recall": recall}


def task_metric(model, outputs):
    """The model's task metric on its evaluation images, or None."""
    if not hasattr(model, "ground_truth"):
        return None
    truth = model.ground_truth()
    if model.name == "ppocr-rec":
        return recognition(outputs, truth, characters(model.path))
    if model.name == "ppocr-cls":
        return orientation(outputs, truth)
    if model.name == "ppocr-det":
        return detection(outputs, truth)
    return None
