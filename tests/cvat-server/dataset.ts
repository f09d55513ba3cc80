// Export archive contents: annotation files per format (from the current annotations) and the
// media members, plus the task backup layout (task.json, annotations.json, data/).
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Core } from './core.js';
import type { Annotations, FrameRec, LabelRec, Shape, TaskRec } from './store.js';
import type { ZipMember } from './zip.js';
import { openZipMember } from './zip.js';
import { kindOf } from './media.js';
import { mediaPath } from './tus.js';

export interface ExportUnit {
  task: TaskRec;
  labels: LabelRec[];
  frames: Array<{ index: number; frame: FrameRec }>;
  annotations: Annotations;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const stem = (name: string) => name.replace(/\.[^./]+$/, '');
const num = (n: number | undefined) => (n ?? 0).toFixed(2);

export function unitForTask(
  core: Core,
  task: TaskRec,
  range?: { start: number; stop: number },
): ExportUnit {
  const frames = (task.data?.frames ?? [])
    .map((frame, index) => ({ index, frame }))
    .filter((f) => !range || (f.index >= range.start && f.index <= range.stop));
  const inRange = (frame: number) => !range || (frame >= range.start && frame <= range.stop);
  return {
    task,
    labels: core.labelsOf(task),
    frames,
    annotations: {
      ...task.annotations,
      shapes: task.annotations.shapes.filter((s) => inRange(s.frame)),
      tags: task.annotations.tags.filter((t) => inRange(t.frame)),
    },
  };
}

function bbox(s: Shape): [number, number, number, number] {
  const xs = s.points.filter((_, i) => i % 2 === 0);
  const ys = s.points.filter((_, i) => i % 2 === 1);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}

function cvatXml(units: ExportUnit[], video: boolean): Buffer {
  const labels = units[0]?.labels ?? [];
  const labelName = (id: number) => labels.find((l) => l.id === id)?.name ?? String(id);
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<annotations>',
    '  <version>1.1</version>',
    '  <meta>',
  ];
  for (const u of units) {
    lines.push(
      '    <task>',
      `      <id>${u.task.id}</id>`,
      `      <name>${xmlEscape(u.task.name)}</name>`,
      `      <size>${u.frames.length}</size>`,
    );
    lines.push(
      `      <mode>${u.task.mode}</mode>`,
      `      <subset>${xmlEscape(u.task.subset || 'default')}</subset>`,
      '      <labels>',
    );
    for (const l of u.labels) {
      lines.push(
        '        <label>',
        `          <name>${xmlEscape(l.name)}</name>`,
        `          <color>${l.color}</color>`,
        `          <type>${l.type}</type>`,
        '          <attributes>',
      );
      for (const a of l.attributes) {
        lines.push(
          `            <attribute><name>${xmlEscape(a.name)}</name><mutable>${a.mutable ? 'True' : 'False'}</mutable><input_type>${a.input_type}</input_type><default_value>${xmlEscape(a.default_value)}</default_value><values>${xmlEscape(a.values.join('\n'))}</values></attribute>`,
        );
      }
      lines.push('          </attributes>', '        </label>');
    }
    lines.push('      </labels>', '    </task>');
  }
  lines.push('  </meta>');
  const shapeXml = (s: Shape, extra: string) => {
    const common = `label="${xmlEscape(labelName(s.label_id))}" source="${s.source ?? 'manual'}" occluded="${s.occluded ? 1 : 0}"${extra} z_order="${s.z_order ?? 0}"`;
    if (s.type === 'rectangle')
      return `<box ${common} xtl="${num(s.points[0])}" ytl="${num(s.points[1])}" xbr="${num(s.points[2])}" ybr="${num(s.points[3])}"></box>`;
    const pts = [];
    for (let i = 0; i + 1 < s.points.length; i += 2)
      pts.push(`${num(s.points[i])},${num(s.points[i + 1])}`);
    const tag = s.type === 'polygon' ? 'polygon' : s.type === 'polyline' ? 'polyline' : 'points';
    return `<${tag} ${common} points="${pts.join(';')}"></${tag}>`;
  };
  if (video) {
    let trackId = 0;
    for (const u of units) {
      for (const s of u.annotations.shapes) {
        lines.push(
          `  <track id="${trackId++}" label="${xmlEscape(labelName(s.label_id))}" source="${s.source ?? 'manual'}">`,
        );
        lines.push(
          `    ${shapeXml(s, ` frame="${s.frame}" outside="0" keyframe="1"`).replace(/ label="[^"]*" source="[^"]*"/, '')}`,
        );
        lines.push('  </track>');
      }
    }
  } else {
    for (const u of units) {
      for (const { index, frame } of u.frames) {
        lines.push(
          `  <image id="${index}" name="${xmlEscape(frame.name)}" subset="${xmlEscape(u.task.subset || 'default')}" task_id="${u.task.id}" width="${frame.width}" height="${frame.height}">`,
        );
        for (const s of u.annotations.shapes.filter((x) => x.frame === index))
          lines.push(`    ${shapeXml(s, '')}`);
        for (const t of u.annotations.tags.filter((x) => x.frame === index))
          lines.push(`    <tag label="${xmlEscape(labelName(t.label_id))}" source="manual"></tag>`);
        lines.push('  </image>');
      }
    }
  }
  lines.push('</annotations>', '');
  return Buffer.from(lines.join('\n'));
}

function coco(units: ExportUnit[]): Buffer {
  const labels = units[0]?.labels ?? [];
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  let imageId = 0;
  let annId = 0;
  for (const u of units) {
    for (const { index, frame } of u.frames) {
      imageId++;
      images.push({
        id: imageId,
        width: frame.width,
        height: frame.height,
        file_name: frame.name,
        license: 0,
        flickr_url: '',
        coco_url: '',
        date_captured: 0,
      });
      for (const s of u.annotations.shapes.filter((x) => x.frame === index)) {
        const box = bbox(s);
        annotations.push({
          id: ++annId,
          image_id: imageId,
          category_id: labels.findIndex((l) => l.id === s.label_id) + 1,
          segmentation: s.type === 'polygon' ? [s.points] : [],
          area: box[2] * box[3],
          bbox: box,
          iscrowd: 0,
          attributes: { occluded: !!s.occluded },
        });
      }
    }
  }
  return Buffer.from(
    JSON.stringify({
      licenses: [{ name: '', id: 0, url: '' }],
      info: { contributor: '', date_created: '', description: '', url: '', version: '', year: '' },
      categories: labels.map((l, i) => ({ id: i + 1, name: l.name, supercategory: '' })),
      images,
      annotations,
    }),
  );
}

function datumaro(units: ExportUnit[]): Buffer {
  const labels = units[0]?.labels ?? [];
  const items = units.flatMap((u) =>
    u.frames.map(({ index, frame }) => ({
      id: stem(frame.name),
      annotations: u.annotations.shapes
        .filter((s) => s.frame === index)
        .map((s, i) => ({
          id: i,
          type: s.type === 'rectangle' ? 'bbox' : s.type,
          attributes: { occluded: !!s.occluded },
          group: s.group ?? 0,
          label_id: labels.findIndex((l) => l.id === s.label_id),
          z_order: s.z_order ?? 0,
          ...(s.type === 'rectangle' ? { bbox: bbox(s) } : { points: s.points }),
        })),
      attr: { frame: index },
      image: { path: frame.name, size: [frame.height, frame.width] },
    })),
  );
  return Buffer.from(
    JSON.stringify({
      info: {},
      categories: {
        label: {
          labels: labels.map((l) => ({
            name: l.name,
            parent: '',
            attributes: l.attributes.map((a) => a.name),
          })),
          attributes: [],
        },
      },
      items,
    }),
  );
}

function yolo(
  units: ExportUnit[],
  saveImages: boolean,
  images: (u: ExportUnit, f: FrameRec) => ZipMember | null,
): ZipMember[] {
  const labels = units[0]?.labels ?? [];
  const members: ZipMember[] = [
    { name: 'obj.names', data: Buffer.from(labels.map((l) => l.name).join('\n') + '\n') },
    {
      name: 'obj.data',
      data: Buffer.from(
        `classes = ${labels.length}\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n`,
      ),
    },
  ];
  const list: string[] = [];
  for (const u of units) {
    for (const { index, frame } of u.frames) {
      list.push(`data/obj_train_data/${frame.name}`);
      const rows = u.annotations.shapes
        .filter((s) => s.frame === index && s.type === 'rectangle')
        .map((s) => {
          const [x, y, w, h] = bbox(s);
          const W = frame.width || 1;
          const H = frame.height || 1;
          return `${labels.findIndex((l) => l.id === s.label_id)} ${((x + w / 2) / W).toFixed(6)} ${((y + h / 2) / H).toFixed(6)} ${(w / W).toFixed(6)} ${(h / H).toFixed(6)}`;
        });
      members.push({
        name: `obj_train_data/${stem(frame.name)}.txt`,
        data: Buffer.from(rows.join('\n') + (rows.length ? '\n' : '')),
      });
      if (saveImages) {
        const m = images(u, frame);
        if (m) members.push({ ...m, name: `obj_train_data/${frame.name}` });
      }
    }
  }
  members.push({ name: 'train.txt', data: Buffer.from(list.join('\n') + '\n') });
  return members;
}

/** Opens a frame's bytes: a file in the task folder or a member of the task's zip. */
function frameMember(core: Core, u: ExportUnit, frame: FrameRec, dir: string): ZipMember | null {
  const d = u.task.data;
  if (!d) return null;
  const images = d.clientFiles.filter((n) => kindOf(n) === 'image' || kindOf(n) === 'pointcloud');
  if (images.includes(frame.name)) {
    return {
      name: dir + frame.name,
      data: () => createReadStream(mediaPath(core, u.task.id, frame.name)),
    };
  }
  const zip = d.clientFiles.find((n) => kindOf(n) === 'zip');
  if (zip)
    return {
      name: dir + frame.name,
      data: (): Promise<Readable> => openZipMember(mediaPath(core, u.task.id, zip), frame.name),
    };
  return null;
}

/** Non-image media (video, audio, pdf, tar) cannot be split into frames here: the source file is included once. */
function sourceMedia(core: Core, u: ExportUnit): ZipMember[] {
  const d = u.task.data;
  if (
    !d ||
    (d.mediaType === 'image' && d.clientFiles.some((n) => ['image', 'zip'].includes(kindOf(n))))
  )
    return [];
  const src = d.clientFiles.find((n) => ['video', 'audio', 'pdf', 'archive'].includes(kindOf(n)));
  return src
    ? [{ name: `media/${src}`, data: () => createReadStream(mediaPath(core, u.task.id, src)) }]
    : [];
}

export function datasetMembers(
  core: Core,
  format: string,
  units: ExportUnit[],
  saveImages: boolean,
): ZipMember[] {
  const subset = units[0]?.task.subset || 'default';
  const images = (dir: string): ZipMember[] =>
    saveImages
      ? units.flatMap((u) => [
          ...u.frames
            .map(({ frame }) => frameMember(core, u, frame, dir))
            .filter((m): m is ZipMember => !!m),
          ...sourceMedia(core, u),
        ])
      : [];
  switch (format) {
    case 'CVAT for images 1.1':
      return [{ name: 'annotations.xml', data: cvatXml(units, false) }, ...images('images/')];
    case 'CVAT for video 1.1':
      return [{ name: 'annotations.xml', data: cvatXml(units, true) }, ...images('images/')];
    case 'COCO 1.0':
      return [
        { name: `annotations/instances_${subset}.json`, data: coco(units) },
        ...images(`images/${subset}/`),
      ];
    case 'COCO Keypoints 1.0':
      return [
        { name: `annotations/person_keypoints_${subset}.json`, data: coco(units) },
        ...images(`images/${subset}/`),
      ];
    case 'Datumaro 1.0':
      return [
        { name: `annotations/${subset}.json`, data: datumaro(units) },
        ...images(`images/${subset}/`),
      ];
    case 'YOLO 1.1':
      return yolo(units, saveImages, (u, f) => frameMember(core, u, f, ''));
    default:
      // Other formats carry a Datumaro-style description under a format-specific name.
      return [
        {
          name: `annotations/${format.toLowerCase().replace(/[^a-z0-9]+/g, '_')}.json`,
          data: datumaro(units),
        },
        ...images('images/'),
      ];
  }
}

/** Label-name based annotation records, as CVAT writes them into backups. */
function namedAnnotations(labels: LabelRec[], a: Annotations): unknown {
  const name = (id: number) => labels.find((l) => l.id === id)?.name ?? '';
  return {
    version: a.version,
    tags: a.tags.map((t) => ({ frame: t.frame, label: name(t.label_id), attributes: [] })),
    shapes: a.shapes.map(({ label_id, id: _id, ...s }) => ({
      ...s,
      label: name(label_id),
      attributes: [],
    })),
    tracks: [],
  };
}

export function backupMembers(core: Core, task: TaskRec): ZipMember[] {
  const d = task.data;
  const labels = core.labelsOf(task);
  const jobs = core.jobsOf(task.id);
  const taskJson = {
    name: task.name,
    bug_tracker: task.bugTracker,
    status: 'annotation',
    subset: task.subset,
    labels: labels.map((l) => ({
      name: l.name,
      color: l.color,
      type: l.type,
      attributes: l.attributes.map(({ id: _id, ...a }) => a),
    })),
    segment_size: task.segmentSize,
    overlap: task.overlap,
    version: '1.0',
    data: {
      chunk_size: d?.chunkSize ?? null,
      image_quality: d?.imageQuality ?? 70,
      start_frame: d?.startFrame ?? 0,
      stop_frame: d?.stopFrame ?? 0,
      frame_filter: d?.frameFilter ?? '',
      chunk_type: d?.compressedChunkType ?? 'imageset',
      storage_method: 'cache',
      storage: 'local',
      sorting_method: d?.sortingMethod ?? 'lexicographical',
      deleted_frames: [],
      order: d?.frames.map((f) => f.name) ?? [],
    },
    jobs: jobs.map((j) => ({
      start_frame: j.startFrame,
      stop_frame: j.stopFrame,
      status: 'annotation',
      type: 'annotation',
    })),
  };
  const perJob = jobs.map((j) =>
    namedAnnotations(
      labels,
      unitForTask(core, task, { start: j.startFrame, stop: j.stopFrame }).annotations,
    ),
  );
  return [
    { name: 'task.json', data: Buffer.from(JSON.stringify(taskJson)) },
    { name: 'annotations.json', data: Buffer.from(JSON.stringify(perJob)) },
    ...(d?.clientFiles ?? []).map((n) => ({
      name: `data/${n}`,
      data: () => createReadStream(mediaPath(core, task.id, n)),
    })),
  ];
}
