"""Users' photos: which files an argument names, how a photo becomes a Leiden-like picture, and how every hostile or
unusual file is read or refused in one line that names it."""
import io
import struct
import zlib

import numpy as np
from PIL import Image
import pytest

from timeread_jax import photos
from timeread_jax.errors import DataError


def _refusal(path, size=50):
  """The message of the DataError that loading `path` raises: one line, naming the file."""
  with pytest.raises(DataError) as caught:
    photos.load(str(path), size)
  message = str(caught.value)
  assert message.startswith(f'{path}: ') and len(message.splitlines()) == 1
  return message


def _png_header(path, width, height):
  """A PNG that claims width x height grey pixels and holds none: a decompression bomb as a reader first sees it."""
  def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
  path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0))
                   + chunk(b'IDAT', zlib.compress(b'')) + chunk(b'IEND', b''))


def _cut_in_half(path):
  path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


def _npy_header(path, shape, fill=False):
  """A .npy file whose header claims uint8 `shape`; with `fill` it is as long as that (sparse: nothing on disk)."""
  with open(path, 'wb') as file:
    np.lib.format.write_array_header_1_0(file, {'descr': '|u1', 'fortran_order': False, 'shape': shape})
    if fill:
      file.truncate(file.tell() + int(np.prod(shape)))


def _npz_bytes():
  buffer = io.BytesIO()
  np.savez(buffer, images=np.zeros((2, 40, 40), np.uint8))
  return buffer.getvalue()


def test_a_photo_is_cropped_to_its_centre_square():
  pixels = np.full((40, 60), 100, np.uint8)
  pixels[:, 10:50] = np.linspace(50, 150, 40).astype(np.uint8)[:, None]  # the centre square is a vertical ramp
  picture = photos._prepare(pixels, 20)
  assert picture.shape == (20, 20) and picture.min() >= 50 and picture.max() <= 150  # a reader stretches it
  assert np.all(np.diff(picture[:, 10].astype(int)) >= 0)  # still the ramp, from top to bottom


def test_arguments_expand_to_files_folders_and_npy_images(tmp_path):
  (tmp_path / 'album').mkdir()
  for name in ('b.PNG', 'a.jpg', 'notes.txt'):
    (tmp_path / 'album' / name).write_bytes(b'x')
  np.save(tmp_path / 'two.npy', np.zeros((2, 40, 40), np.uint8))
  (tmp_path / 'empty').mkdir()
  expanded = photos.expand([str(tmp_path / 'album'), str(tmp_path / 'two.npy'), str(tmp_path / 'empty'), 'x.png'])
  assert expanded[:4] == [str(tmp_path / 'album' / 'a.jpg'), str(tmp_path / 'album' / 'b.PNG'),
                          f'{tmp_path / "two.npy"}[0]', f'{tmp_path / "two.npy"}[1]']
  assert isinstance(expanded[4], DataError) and 'no images' in str(expanded[4])
  assert expanded[5] == 'x.png'


def test_colour_and_16_bit_photos_read_as_their_grey_levels(tmp_path):
  grey = np.random.default_rng(0).integers(0, 256, (50, 50), dtype=np.uint8)
  Image.fromarray(np.stack([grey] * 3, -1)).save(tmp_path / 'rgb.png')
  Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / 'deep.png')  # mode I;16: scaled, not clipped
  Image.fromarray(grey).save(tmp_path / 'grey.png')
  expected = photos.load(str(tmp_path / 'grey.png'), 50)
  np.testing.assert_array_equal(photos.load(str(tmp_path / 'rgb.png'), 50), expected)
  np.testing.assert_array_equal(photos.load(str(tmp_path / 'deep.png'), 50), expected)


@pytest.mark.parametrize('width, height, words', [
    (20000, 20000, 'too large (Image size (400000000 pixels)'),  # refused by Pillow, far past MAX_PIXELS
    (12000, 11000, '12000x11000 pixels, too large'),  # past MAX_PIXELS, below Pillow's own refusal
    (100000, 10, '100000x10 pixels, too small'),
])
def test_a_size_too_large_or_too_small_is_refused_from_the_header(tmp_path, width, height, words):
  """No pixel data is there to decode: a reader that decoded before checking would say 'not a readable image'."""
  _png_header(tmp_path / 'bomb.png', width, height)
  assert (tmp_path / 'bomb.png').stat().st_size < 100 and words in _refusal(tmp_path / 'bomb.png')


def test_a_108_megapixel_photo_is_not_refused_and_pillow_does_not_warn(tmp_path, recwarn):
  """Pillow warns of a decompression bomb from 89 MP; MAX_PIXELS decides instead, silently. This one holds no
  pixels, so it fails later, as a file cut short."""
  _png_header(tmp_path / 'phone.png', 12000, 9000)
  assert 'not a readable image' in _refusal(tmp_path / 'phone.png')
  assert [str(warning.message) for warning in recwarn] == []


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_as_its_small_version_reads(tmp_path, monkeypatch):
  """Sides that divide evenly, so that both centre squares start at the same place and shrink by whole pixels."""
  pixels = np.full((3072, 4096, 3), (200, 180, 160), np.uint8)
  pixels[1024:2048, 1536:2560] = 40  # a dark shape in the centre square
  Image.fromarray(pixels).save(tmp_path / 'big.jpg', quality=95)
  Image.fromarray(pixels).resize((1024, 768), Image.Resampling.BOX).save(tmp_path / 'small.png')
  grayscale, decoded = photos._grayscale, []
  monkeypatch.setattr(photos, '_grayscale', lambda image: decoded.append(image.size) or grayscale(image))
  big, small = (photos.load(str(tmp_path / name), 64).astype(int) for name in ('big.jpg', 'small.png'))
  assert decoded == [(512, 384), (1024, 768)]  # the JPEG at 1/8 scale: still 4 times the 64 px asked for
  assert np.abs(big - small).max() <= 2


@pytest.mark.parametrize('name', ['clock.png', 'clock.jpg'])
def test_a_truncated_photo_is_one_line(tmp_path, name):
  Image.fromarray(np.random.default_rng(0).integers(0, 256, (80, 80, 3), dtype=np.uint8)).save(tmp_path / name)
  _cut_in_half(tmp_path / name)
  assert 'not a readable image' in _refusal(tmp_path / name)


def test_a_cmyk_jpeg_reads_as_grey(tmp_path):
  page = Image.new('CMYK', (64, 64), (0, 0, 0, 0))
  page.paste((0, 0, 0, 255), (16, 16, 48, 48))  # black ink on white paper
  page.save(tmp_path / 'print.jpg', quality=95)
  picture = photos.load(str(tmp_path / 'print.jpg'), 64)
  assert picture[2, 2] > 240 and picture[32, 32] < 20


def test_an_animated_gif_reads_as_its_first_frame(tmp_path):
  first = np.full((40, 40), 30, np.uint8)
  first[10:30, 10:30] = 220
  Image.fromarray(first).save(tmp_path / 'anim.gif', save_all=True, duration=100, loop=0,
                              append_images=[Image.new('L', (40, 40), 128), Image.new('L', (40, 40), 0)])
  Image.fromarray(first).save(tmp_path / 'first.png')
  with Image.open(tmp_path / 'anim.gif') as gif:
    assert gif.n_frames == 3
  np.testing.assert_array_equal(photos.load(str(tmp_path / 'anim.gif'), 40),
                                photos.load(str(tmp_path / 'first.png'), 40))


@pytest.mark.parametrize('mode, clear, dark', [('P', 0, 1), ('LA', (0, 0), (60, 255)),
                                               ('RGBA', (0, 0, 0, 0), (60, 60, 60, 255))])
def test_a_transparent_background_reads_as_white(tmp_path, recwarn, mode, clear, dark):
  image = Image.new(mode, (40, 40), clear)  # transparent, and black underneath
  image.paste(dark, (10, 10, 30, 30))
  if mode == 'P':
    image.putpalette([0, 0, 0, 60, 60, 60])
    image.info['transparency'] = 0  # palette entry 0, black, is transparent
  image.save(tmp_path / 'cut-out.png')
  picture = photos.load(str(tmp_path / 'cut-out.png'), 40)
  assert picture[2, 2] >= 250 and picture[20, 20] == 60
  assert [str(warning.message) for warning in recwarn] == []


def test_a_float_tiff_holding_nan_reads_without_a_warning(tmp_path, recwarn):
  pixels = np.linspace(0, 1, 40 * 40, dtype=np.float32).reshape(40, 40)
  pixels[:4] = np.nan
  Image.fromarray(pixels).save(tmp_path / 'depth.tif')
  picture = photos.load(str(tmp_path / 'depth.tif'), 40)
  assert picture[:4].max() == 0 and picture[-1, -1] == 255
  assert [str(warning.message) for warning in recwarn] == []


@pytest.mark.parametrize('name, content, words', [
    ('notes.png', b'not an image', 'cannot identify'),
    ('empty.jpg', b'', 'empty file'),
    ('clock.png', b'%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\n', 'cannot identify'),  # no Ghostscript run
])
def test_a_file_that_is_no_photo_is_one_line(tmp_path, name, content, words):
  (tmp_path / name).write_bytes(content)
  assert words in _refusal(tmp_path / name)


@pytest.mark.parametrize('make, words', [
    (lambda path: np.save(path, np.array([None, {}], object), allow_pickle=True), 'not a readable .npy'),
    (lambda path: np.save(path, np.zeros((2, 40, 40), np.float32)), 'float32 array'),
    (lambda path: (np.save(path, np.zeros((2, 40, 40), np.uint8)), _cut_in_half(path)), 'not a readable .npy'),
    (lambda path: _npy_header(path, (100000, 100000, 100000)), 'not a readable .npy'),  # not a byte beyond the header
    (lambda path: _npy_header(path, (2, 11000, 11000), fill=True), '11000x11000 pixels, too large'),
    (lambda path: path.write_bytes(_npz_bytes()), 'an .npz archive'),
], ids=['objects', 'floats', 'truncated', 'huge shape', 'huge images', 'npz'])
def test_an_unusable_npy_file_is_one_line(tmp_path, make, words):
  path = tmp_path / 'images.npy'
  make(path)
  [error] = photos.expand([str(path)])
  assert isinstance(error, DataError) and str(error).startswith(f'{path}: ') and words in str(error)
  assert len(str(error).splitlines()) == 1


def test_an_npy_image_it_does_not_hold_is_one_line(tmp_path):
  np.save(tmp_path / 'two.npy', np.zeros((2, 40, 40), np.uint8))
  for index in ('2', 'x', '-1'):
    assert 'no such image (' in _refusal(f'{tmp_path / "two.npy"}[{index}]')
