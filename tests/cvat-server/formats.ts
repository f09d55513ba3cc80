// The 2.73 annotation formats: what GET /api/server/annotation/formats lists and what the
// export/import endpoints accept.
export interface FormatInfo {
  name: string;
  ext: string;
  version: string;
  enabled: boolean;
  dimension: '1d' | '2d' | '3d';
}

const f = (name: string, ext = 'ZIP', dimension: FormatInfo['dimension'] = '2d'): FormatInfo => ({
  name,
  ext,
  version: /(\d+(?:\.\d+)*)$/.exec(name)?.[1] ?? '1.0',
  enabled: true,
  dimension,
});

const COMMON = [
  'CamVid 1.0',
  'Cityscapes 1.0',
  'ICDAR Recognition 1.0',
  'ICDAR Localization 1.0',
  'ICDAR Segmentation 1.0',
  'ImageNet 1.0',
  'KITTI 1.0',
  'LabelMe 3.0',
  'LFW 1.0',
  'Market-1501 1.0',
  'Segmentation mask 1.1',
  'MOT 1.1',
  'MOTS PNG 1.0',
  'Open Images V6 1.0',
  'PASCAL VOC 1.1',
  'VGGFace2 1.0',
  'WiderFace 1.0',
  'YOLO 1.1',
  'Ultralytics YOLO Detection 1.0',
  'Ultralytics YOLO Oriented Bounding Boxes 1.0',
  'Ultralytics YOLO Segmentation 1.0',
  'Ultralytics YOLO Pose 1.0',
  'Ultralytics YOLO Classification 1.0',
];

export const EXPORTERS: FormatInfo[] = [
  f('Generic TSV 1.0', 'TSV', '1d'),
  f('COCO 1.0'),
  f('COCO Keypoints 1.0'),
  f('CVAT for video 1.1'),
  f('CVAT for images 1.1'),
  f('Datumaro 1.0'),
  f('Datumaro 3D 1.0', 'ZIP', '3d'),
  f('Sly Point Cloud Format 1.0', 'ZIP', '3d'),
  f('Kitti Raw Format 1.0', 'ZIP', '3d'),
  f('Ultralytics YOLO Detection Track 1.0'),
  ...COMMON.map((n) => f(n)),
];

export const IMPORTERS: FormatInfo[] = [
  f('Generic TSV 1.0', 'TSV', '1d'),
  f('CVAT 1.1', 'XML, ZIP'),
  f('COCO 1.0', 'JSON, ZIP'),
  f('COCO Keypoints 1.0', 'JSON, ZIP'),
  f('Datumaro 1.0', 'JSON, ZIP'),
  f('Datumaro 3D 1.0', 'JSON, ZIP', '3d'),
  f('Sly Point Cloud Format 1.0', 'ZIP', '3d'),
  f('Kitti Raw Format 1.0', 'ZIP, XML', '3d'),
  ...COMMON.map((n) => f(n)),
];

export function exporter(name: string): FormatInfo | undefined {
  return EXPORTERS.find((x) => x.name === name);
}

export function importer(name: string): FormatInfo | undefined {
  return IMPORTERS.find((x) => x.name === name);
}

/** Format part of rq ids: '.' becomes '~', spaces become '_'. */
export function formatToken(name: string): string {
  return name.replace(/\./g, '~').replace(/ /g, '_');
}
