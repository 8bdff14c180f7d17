/**
 * `compareModels`: two versions' validation metrics side by side and, on a dataset, how often
 * their predictions agree.
 */
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { columnIndex } from '../lib/dataset-table';
import { InvalidInputError } from '../lib/errors';
import { sampleCorrelation } from 'simple-statistics';
import type { DatasetsService } from '../registry/datasets.service';
import type { RegistryService } from '../registry/registry.service';
import type { ServingService } from './serving.service';

export interface MetricComparison {
  name: string;
  a: number | null;
  b: number | null;
  difference: number | null;
}

export interface PredictionAgreement {
  dataset: string;
  rows: number;
  /** Share of rows where both give the same sign (regression) or the same class at 0.5 (binary). */
  agreementRate: number;
  meanAbsoluteDifference: number;
  correlation: number | null;
}

export interface ModelComparison {
  a: ModelVersionEntity;
  b: ModelVersionEntity;
  metrics: MetricComparison[];
  agreement: PredictionAgreement | null;
}

const MAX_COMPARE_ROWS = 100_000;

export class ComparisonService {
  constructor(
    private readonly registry: RegistryService,
    private readonly datasets: DatasetsService,
    private readonly serving: ServingService,
  ) {}

  async compareModels(input: { a: string; b: string; dataset?: string | null }): Promise<ModelComparison> {
    const a = await this.registry.getModelVersion(input.a);
    const b = await this.registry.getModelVersion(input.b);
    const names = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
    const metrics = names.map((name) => {
      const left = a.metrics[name] ?? null;
      const right = b.metrics[name] ?? null;
      return { name, a: left, b: right, difference: left !== null && right !== null ? right - left : null };
    });
    return { a, b, metrics, agreement: input.dataset ? await this.agreement(a, b, input.dataset) : null };
  }

  private async agreement(a: ModelVersionEntity, b: ModelVersionEntity, datasetName: string): Promise<PredictionAgreement> {
    const missing = b.featureNames.filter((name) => !a.featureNames.includes(name));
    if (missing.length || a.featureNames.length !== b.featureNames.length) {
      throw new InvalidInputError(
        `expects both versions to take the same features, but version ${b.version} differs (${missing.join(', ') || 'order/count'})`,
        {
          field: 'b',
        },
      );
    }
    const dataset = await this.datasets.getDataset(datasetName);
    const table = await this.datasets.loadTable(dataset);
    const rows = Math.min(table.rowCount, MAX_COMPARE_ROWS);
    const width = a.featureNames.length;
    const batch = new Float32Array(rows * width);
    a.featureNames.forEach((name, j) => {
      const column = table.data[columnIndex(table, name, 'dataset')];
      for (let r = 0; r < rows; r++) batch[r * width + j] = column[r] === null ? NaN : Number(column[r]);
    });
    const [predictorA, predictorB] = await Promise.all([this.serving.prepareVersion(a), this.serving.prepareVersion(b)]);
    const [outA, outB] = await Promise.all([predictorA.predict(batch, rows), predictorB.predict(batch, rows)]);
    const strideA = predictorA.signature.outputs.length;
    const strideB = predictorB.signature.outputs.length;
    const binary = predictorA.signature.task === 'binary';
    let agree = 0;
    let absDiff = 0;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let r = 0; r < rows; r++) {
      const x = outA[r * strideA];
      const y = outB[r * strideB];
      if (Number.isNaN(x) || Number.isNaN(y)) continue;
      xs.push(x);
      ys.push(y);
      absDiff += Math.abs(x - y);
      if (binary ? x >= 0.5 === y >= 0.5 : Math.sign(x) === Math.sign(y)) agree++;
    }
    const n = xs.length;
    return {
      dataset: dataset.name,
      rows: n,
      agreementRate: n ? agree / n : 0,
      meanAbsoluteDifference: n ? absDiff / n : 0,
      correlation: correlationOrNull(xs, ys),
    };
  }
}

function correlationOrNull(xs: number[], ys: number[]): number | null {
  if (xs.length < 2) return null;
  const r = sampleCorrelation(xs, ys);
  return Number.isFinite(r) ? r : null;
}
